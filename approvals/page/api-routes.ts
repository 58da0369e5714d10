/**
 * The page's API for the CLI: where to sign in (`GET /api/sign-in`), and a decision proven by an ID token
 * (`POST /api/decisions`, `Authorization: Bearer <ID token>`), applied by the same code as the page's form. Bearer
 * authentication only: these routes never read the session cookie, so a browser's session cannot be ridden (no CSRF),
 * and a decision needs a JSON body, which no form of another site can send.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { PageDeps } from './context.js';
import { ApiRefusal, userFromBearer } from './cli-id-token.js';
import { applyDecision } from './decision.js';
import { SCOPES } from './oidc.js';

const workflowId = z
  .string({ message: 'must be a workflow id' })
  .trim()
  .min(1, 'must not be empty')
  .max(1000, 'must be at most 1000 characters');

/** `{ release, decision, comment }`; `reason` is taken for `comment` on a rejection, as the CLI's `--reason`. */
const decisionBody = z.strictObject({
  release: workflowId,
  decision: z.enum(['approve', 'reject'], { message: "must be 'approve' or 'reject'" }),
  comment: z.string({ message: 'must be a string' }).trim().max(1000, 'must be at most 1000 characters').default(''),
});

const refusal = (c: Context, err: ApiRefusal) =>
  c.json({ error: { type: err.type, message: err.message } }, err.status);

export function addApiRoutes(app: Hono, deps: PageDeps): void {
  app.get('/api/sign-in', (c) => {
    const cli = deps.cliSignIn;
    if (!cli) {
      const message = 'this approvals page does not take CLI sign-ins (OIDC_CLI_CLIENT_ID is not set)';
      return c.json({ error: { type: 'CliSignInOff', message } }, 404);
    }
    return c.json({ issuer: cli.issuer, clientId: cli.clientId, scope: SCOPES });
  });

  app.post('/api/decisions', async (c) => {
    try {
      if (!deps.cliSignIn) throw new ApiRefusal(404, 'CliSignInOff', 'this approvals page does not take CLI sign-ins');
      const user = await userFromBearer(deps.cliSignIn, c.req.header('authorization'));
      const body = await decisionFrom(c);
      const result = await applyDecision(deps, {
        user,
        decision: body.decision,
        workflowId: body.release,
        text: body.comment,
        via: 'cli',
      });
      if (!result.ok) return c.json({ error: { type: result.type, message: result.message } }, result.httpStatus);
      return c.json({ outcome: result.outcome, approver: user.upn, status: result.status });
    } catch (err) {
      if (err instanceof ApiRefusal) return refusal(c, err);
      throw err;
    }
  });
}

/** The JSON body, parsed; a refusal names the field and the rule, never the value. */
async function decisionFrom(c: Context): Promise<z.output<typeof decisionBody>> {
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new ApiRefusal(415, 'InvalidInput', 'the body must be JSON (Content-Type: application/json)');
  }
  const raw: unknown = await c.req.json().catch(() => undefined);
  const parsed = decisionBody.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new ApiRefusal(400, 'InvalidInput', `invalid decision: ${issues.join('; ')}`);
  }
  return parsed.data;
}
