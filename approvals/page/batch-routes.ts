/**
 * A batch's decision and its progress. The decision is checked here as the batch's validator checks it, then sent as
 * the batch's `approve`/`reject` update with the same signed approval token a release takes (bound to the batch's
 * run), and an approval names the digest of the targets the approver was shown: a batch whose targets differ refuses.
 */
import type { Context, Hono } from 'hono';
import { ReleaseUpdateRefusedError, update } from '../../client/release-client.js';
import { bulkApproveUpdate, bulkRejectUpdate } from '../../contract/index.js';
import { readBatch } from './batches.js';
import { batchProgressView } from './batch-views.js';
import { sessionOf, type PageDeps } from './context.js';
import { readDecisionForm, type PostedDecision } from './decision-form.js';
import { mayDecideBatch } from './may-decide.js';
import type { Session } from './session.js';
import { decidesFor } from './tenant-access.js';
import { mintApprovalToken, tokenFingerprint } from './tokens.js';
import { messageView } from './views.js';

const refuse = (c: Context, status: 400 | 401 | 403 | 404 | 409 | 502, title: string, message: string) =>
  c.html(messageView(title, message), status);

export function addBatchRoutes(app: Hono, deps: PageDeps): void {
  app.get('/batches/:workflowId', async (c) => {
    const session = sessionOf(c, deps);
    if (!session) return c.redirect('/', 303);
    const batch = await readBatch(deps.client, c.req.param('workflowId'));
    if (!batch || !decidesFor(session.user, batch.progress?.tenant, deps.tenantGroups)) {
      return refuse(c, 404, 'Not found', 'No such batch.');
    }
    return c.html(
      batchProgressView(session.user, session.csrf, batch, mayDecideBatch(session.user.upn, batch.progress)),
    );
  });

  app.post('/batches/decide', async (c) => {
    const session = sessionOf(c, deps);
    if (!session) return refuse(c, 401, 'Signed out', 'Sign in to decide.');
    const reading = readDecisionForm(await c.req.parseBody(), session);
    if (!reading.ok) return refuse(c, reading.status, 'Refused', reading.message);
    return decideBatch(c, deps, session, reading.posted);
  });
}

async function decideBatch(c: Context, deps: PageDeps, session: Session, posted: PostedDecision) {
  const { user } = session;
  const batch = await readBatch(deps.client, posted.workflowId);
  if (!batch) return refuse(c, 404, 'Not found', 'No such batch.');
  if (batch.runId !== posted.runId) return refuse(c, 409, 'Changed', 'The batch was restarted; reload the page.');
  const may = decidesFor(user, batch.progress?.tenant, deps.tenantGroups)
    ? mayDecideBatch(user.upn, batch.progress)
    : { ok: false as const, why: 'you do not decide for its tenant' };
  if (!may.ok) {
    deps.log(`approvals page: ${user.upn} refused to ${posted.decision} ${posted.workflowId}: ${may.why}`);
    return refuse(c, 403, 'Refused', `You cannot decide this batch: ${may.why}.`);
  }
  const token = await mintApprovalToken(deps.key, deps.origin, user, posted);
  // The token's hash lets a log line be matched with the workflow's record; the token itself is never logged.
  const fingerprint = tokenFingerprint(token);
  deps.log(`approvals page: ${user.upn} ${posted.decision}s ${posted.workflowId} (token sha256 ${fingerprint}…)`);
  const handle = deps.client.workflow.getHandle(posted.workflowId);
  try {
    await update(posted.workflowId, () =>
      posted.decision === 'approve'
        ? handle.executeUpdate(bulkApproveUpdate, {
            args: [{ approver: user.upn, comment: posted.text, token, targetDigest: posted.targetDigest ?? undefined }],
          })
        : handle.executeUpdate(bulkRejectUpdate, { args: [{ approver: user.upn, reason: posted.text, token }] }),
    );
  } catch (err) {
    if (err instanceof ReleaseUpdateRefusedError) return refuse(c, 409, 'Refused by the batch', err.message);
    deps.log(`approvals page: ${posted.decision} of ${posted.workflowId} failed: ${(err as Error).name}`);
    return refuse(c, 502, 'Not sent', 'The batch could not be reached; try again.');
  }
  return c.redirect(`/batches/${encodeURIComponent(posted.workflowId)}`, 303);
}
