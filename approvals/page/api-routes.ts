/**
 * The page's API for the CLI: where to sign in (`GET /api/sign-in`), a decision proven by an ID token
 * (`POST /api/decisions`, `Authorization: Bearer <ID token>`), applied by the same code as the page's form, and a
 * request token proving who starts a release or batch (`POST /api/requests`, the same bearer). Bearer
 * authentication only: these routes never read the session cookie, so a browser's session cannot be ridden (no CSRF),
 * and a decision needs a JSON body, which no form of another site can send.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { PageDeps } from './context.js';
import { ApiRefusal, userFromBearer } from './cli-id-token.js';
import { applyDecision } from './decision.js';
import { SCOPES } from './oidc.js';
import { mintRequestToken, AutomationNameError, tokenFingerprint } from './tokens.js';
import { isAutomationName } from '../../contract/index.js';

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

/** `{ workflowId, comment }`: the workflow the person starts and the request's comment, as the start will send it. */
const requestBody = z.strictObject({
  workflowId,
  comment: z.string({ message: 'must be a string' }).max(1000, 'must be at most 1000 characters').default(''),
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

  app.post('/api/requests', (c) => signRequest(c, deps));

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

/**
 * `POST /api/requests`: a request token for the signed-in person, who is about to start `workflowId` (a release or a
 * batch) with `comment`. Anyone the identity provider signs in may ask (the approver group is for deciding); the token
 * only proves who asks, and the workflow then holds the approver to four-eyes against that name.
 */
async function signRequest(c: Context, deps: PageDeps): Promise<Response> {
  try {
    if (!deps.cliSignIn) throw new ApiRefusal(404, 'CliSignInOff', 'this approvals page does not take CLI sign-ins');
    const user = await userFromBearer({ ...deps.cliSignIn, approverGroup: null }, c.req.header('authorization'));
    if (isAutomationName(user.upn)) throw new ApiRefusal(403, 'AutomationName', new AutomationNameError().message);
    const body = await jsonBody(c, requestBody, 'request');
    const text = { workflowId: body.workflowId, text: body.comment };
    const requestToken = await mintRequestToken(deps.key, deps.origin, user, text);
    const fingerprint = tokenFingerprint(requestToken);
    deps.log(`approvals page: ${user.upn} requests ${body.workflowId} from the CLI (token sha256 ${fingerprint}…)`);
    return c.json({ requestToken, requestedBy: user.upn });
  } catch (err) {
    if (err instanceof ApiRefusal) return refusal(c, err);
    throw err;
  }
}

const decisionFrom = (c: Context) => jsonBody(c, decisionBody, 'decision');

/** The JSON body, parsed; a refusal names the field and the rule, never the value. */
async function jsonBody<S extends z.ZodType>(c: Context, schema: S, what: string): Promise<z.output<S>> {
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new ApiRefusal(415, 'InvalidInput', 'the body must be JSON (Content-Type: application/json)');
  }
  const raw: unknown = await c.req.json().catch(() => undefined);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new ApiRefusal(400, 'InvalidInput', `invalid ${what}: ${issues.join('; ')}`);
  }
  return parsed.data;
}
