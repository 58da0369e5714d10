/**
 * The releases awaiting a decision, the decision itself, and a release's progress. A decision is checked here as the
 * workflow checks it (a forced POST by the requester is refused before anything is signed), then sent as the
 * `approve`/`reject` update with the page's signed approval token.
 */
import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { approveRelease, rejectRelease, ReleaseUpdateRefusedError } from '../../client/release-client.js';
import { listAwaitingReleases, readRelease } from './awaiting.js';
import { listAwaitingBatches } from './batches.js';
import { batchCard } from './batch-views.js';
import { sessionOf, type PageDeps } from './context.js';
import { readDecisionForm } from './decision-form.js';
import { mayDecide, mayDecideBatch } from './may-decide.js';
import type { Session } from './session.js';
import { decidesFor } from './tenant-access.js';
import { mintApprovalToken } from './tokens.js';
import { awaitingView, messageView, progressView, signInView } from './views.js';

const refuse = (c: Context, status: 400 | 401 | 403 | 404 | 409 | 502, title: string, message: string) =>
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
    const ours = (tenant: string | null | undefined) => decidesFor(session.user, tenant, deps.tenantGroups ?? null);
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
    if (!release || !decidesFor(session.user, release.status?.tenant, deps.tenantGroups ?? null)) {
      return refuse(c, 404, 'Not found', 'No such release.');
    }
    return c.html(progressView(session.user, session.csrf, release));
  });

  app.post('/decide', async (c) => {
    const session = sessionOf(c, deps);
    if (!session) return refuse(c, 401, 'Signed out', 'Sign in to decide.');
    const reading = readDecisionForm(await c.req.parseBody(), session);
    if (!reading.ok) return refuse(c, reading.status, 'Refused', reading.message);
    return decide(c, deps, session, reading.posted);
  });
}

async function decide(
  c: Context,
  deps: PageDeps,
  session: Session,
  claims: { decision: 'approve' | 'reject'; workflowId: string; runId: string; text: string },
) {
  const { user } = session;
  const release = await readRelease(deps.client, claims.workflowId);
  if (!release) return refuse(c, 404, 'Not found', 'No such release.');
  if (release.runId !== claims.runId) return refuse(c, 409, 'Changed', 'The release was restarted; reload the page.');
  const may = decidesFor(user, release.status?.tenant, deps.tenantGroups ?? null)
    ? mayDecide(user.upn, release.status)
    : { ok: false as const, why: 'you do not decide for its tenant' };
  if (!may.ok) {
    deps.log(`approvals page: ${user.upn} refused to ${claims.decision} ${claims.workflowId}: ${may.why}`);
    return refuse(c, 403, 'Refused', `You cannot decide this release: ${may.why}.`);
  }
  const token = await mintApprovalToken(deps.key, deps.origin, user, claims);
  // The token's hash lets a log line be matched with the workflow's record; the token itself is never logged.
  const fingerprint = createHash('sha256').update(token).digest('hex').slice(0, 16);
  deps.log(`approvals page: ${user.upn} ${claims.decision}s ${claims.workflowId} (token sha256 ${fingerprint}…)`);
  try {
    if (claims.decision === 'approve') {
      await approveRelease(deps.client, claims.workflowId, { approver: user.upn, comment: claims.text, token });
    } else {
      await rejectRelease(deps.client, claims.workflowId, { approver: user.upn, reason: claims.text, token });
    }
  } catch (err) {
    if (err instanceof ReleaseUpdateRefusedError) return refuse(c, 409, 'Refused by the release', err.message);
    deps.log(`approvals page: ${claims.decision} of ${claims.workflowId} failed: ${(err as Error).name}`);
    return refuse(c, 502, 'Not sent', 'The release could not be reached; try again.');
  }
  return c.redirect(`/releases/${encodeURIComponent(claims.workflowId)}`, 303);
}
