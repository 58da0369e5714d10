/**
 * The releases awaiting a decision, the decision form, and a release's progress. The decision itself is decision.ts's,
 * shared with the API the CLI uses.
 */
import type { Context, Hono } from 'hono';
import { listAwaitingReleases, readRelease } from './awaiting.js';
import { listAwaitingBatches } from './batches.js';
import { batchCard } from './batch-views.js';
import { sessionOf, type PageDeps } from './context.js';
import { applyDecision, type DecisionRefusal, type DecisionRequest } from './decision.js';
import { mayDecide, mayDecideBatch } from './may-decide.js';
import { csrfMatches } from './session.js';
import { decidesFor } from './tenant-access.js';
import { awaitingView, messageView, progressView, signInView } from './views.js';

const refuse = (c: Context, status: 400 | 401 | 403 | 404 | 409 | 502 | 503, title: string, message: string) =>
  c.html(messageView(title, message), status);

export function addDecisionRoutes(app: Hono, deps: PageDeps): void {
  app.get('/', async (c) => {
    const session = sessionOf(c, deps);
    if (!session) return c.html(signInView());
    const [releases, batches] = await Promise.all([
      listAwaitingReleases(deps.client),
      listAwaitingBatches(deps.client),
    ]);
    // Only the tenants this person decides for (APPROVALS_TENANT_GROUPS); a release that did not say is nobody's then.
    const ours = (tenant: string | null | undefined) => decidesFor(session.user, tenant, deps.tenantGroups);
    const rows = releases
      .filter((release) => ours(release.status?.tenant))
      .map((release) => ({ release, may: mayDecide(session.user.upn, release.status) }));
    const batchCards = batches
      .filter((b) => ours(b.progress?.tenant))
      .map((b) => batchCard(b, mayDecideBatch(session.user.upn, b.progress), session.csrf));
    return c.html(awaitingView(session.user, session.csrf, rows, batchCards));
  });

  app.get('/releases/:workflowId', async (c) => {
    const session = sessionOf(c, deps);
    if (!session) return c.redirect('/', 303);
    const release = await readRelease(deps.client, c.req.param('workflowId'));
    if (!release || !decidesFor(session.user, release.status?.tenant, deps.tenantGroups)) {
      return refuse(c, 404, 'Not found', 'No such release.');
    }
    return c.html(progressView(session.user, session.csrf, release, mayDecide(session.user.upn, release.status)));
  });

  app.post('/decide', async (c) => {
    const session = sessionOf(c, deps);
    if (!session) return refuse(c, 401, 'Signed out', 'Sign in to decide.');
    const form = await c.req.parseBody();
    if (!csrfMatches(form.csrf, session)) return refuse(c, 403, 'Refused', 'The form was not this page’s; reload it.');
    const decision = form.decision === 'approve' || form.decision === 'reject' ? form.decision : null;
    const fields = [form.workflowId, form.runId, form.comment ?? ''];
    if (!decision || !fields.every((f) => typeof f === 'string' && f.length <= 1000)) {
      return refuse(c, 400, 'Refused', 'The form was incomplete.');
    }
    const [workflowId, runId, text] = (fields as string[]).map((f) => f.trim());
    return decide(c, deps, { user: session.user, decision, workflowId: workflowId!, runId: runId!, text: text! });
  });
}

/** The page's titles for the decision's refusals. */
const TITLES: Record<DecisionRefusal, string> = {
  NotFound: 'Not found',
  RunChanged: 'Changed',
  WorkerNotAnswering: 'Refused',
  NotAwaiting: 'Refused',
  MayNotDecide: 'Refused',
  ReasonRequired: 'Refused',
  RefusedByRelease: 'Refused by the release',
  Unreachable: 'Not sent',
};

async function decide(c: Context, deps: PageDeps, request: Omit<DecisionRequest, 'via'>) {
  const result = await applyDecision(deps, { ...request, via: 'page' });
  if (!result.ok) return refuse(c, result.httpStatus, TITLES[result.type], result.message);
  return c.redirect(`/releases/${encodeURIComponent(request.workflowId)}`, 303);
}
