/**
 * A decision, whoever sends it: the page's form (a browser session) or its API (the CLI's ID token). One code path, so
 * both refuse alike: checked as the workflow checks it (a forced request by the requester is refused before anything is
 * signed), then sent as the `approve`/`reject` update with the page's signed approval token, bound to the run.
 */
import { approveRelease, rejectRelease, ReleaseUpdateRefusedError } from '../../client/release-client.js';
import { isAutomationName, type ReleaseStatus } from '../../contract/index.js';
import { readRelease } from './awaiting.js';
import type { PageDeps } from './context.js';
import { mayDecide, type MayNotDecide } from './may-decide.js';
import type { SignedInUser } from './session.js';
import { decidesFor } from './tenant-access.js';
import { mintApprovalToken, tokenFingerprint } from './tokens.js';

/** Stable refusal types: the API answers them as `error.type`, the page as its titles. */
export type DecisionRefusal =
  | 'NotFound'
  | 'RunChanged'
  | 'WorkerNotAnswering'
  | 'NotAwaiting'
  | 'MayNotDecide'
  | 'ReasonRequired'
  | 'RefusedByRelease'
  | 'Unreachable';

export type DecisionResult =
  | { ok: true; outcome: 'approved' | 'rejected'; status: ReleaseStatus }
  | { ok: false; type: DecisionRefusal; httpStatus: 400 | 403 | 404 | 409 | 502 | 503; message: string };

export interface DecisionRequest {
  user: SignedInUser;
  decision: 'approve' | 'reject';
  workflowId: string;
  /** The run the person saw (the page's form); absent (the API), the run awaiting now. */
  runId?: string;
  /** The comment (approve) or reason (reject), trimmed. */
  text: string;
  /** Where it came from, for the log line. */
  via: 'page' | 'cli';
}

const MAY_NOT: Record<MayNotDecide, { type: DecisionRefusal; httpStatus: 403 | 409 | 503 }> = {
  'no-answer': { type: 'WorkerNotAnswering', httpStatus: 503 },
  'not-awaiting': { type: 'NotAwaiting', httpStatus: 409 },
  requester: { type: 'MayNotDecide', httpStatus: 403 },
  'not-approver': { type: 'MayNotDecide', httpStatus: 403 },
};

export async function applyDecision(deps: PageDeps, request: DecisionRequest): Promise<DecisionResult> {
  const { user, decision, workflowId, text } = request;
  const release = await readRelease(deps.client, workflowId);
  if (!release) return { ok: false, type: 'NotFound', httpStatus: 404, message: 'No such release.' };
  if (request.runId !== undefined && release.runId !== request.runId) {
    return { ok: false, type: 'RunChanged', httpStatus: 409, message: 'The release was restarted; reload the page.' };
  }
  // APPROVALS_TENANT_GROUPS: a person outside the tenant's group is refused as one who may not decide.
  const may = decidesFor(user, release.status?.tenant, deps.tenantGroups)
    ? mayDecide(user.upn, release.status)
    : ({ ok: false, code: 'not-approver', why: 'you do not decide for its tenant' } as const);
  if (!may.ok) {
    deps.log(`approvals page: ${user.upn} refused to ${decision} ${workflowId}: ${may.why}`);
    return { ok: false, ...MAY_NOT[may.code], message: `You cannot decide this release: ${may.why}.` };
  }
  if (isAutomationName(user.upn)) {
    return {
      ok: false,
      type: 'MayNotDecide',
      httpStatus: 403,
      message: 'A playbook or schedule name decides nothing.',
    };
  }
  if (decision === 'reject' && text === '') {
    return { ok: false, type: 'ReasonRequired', httpStatus: 400, message: 'A rejection needs a reason.' };
  }
  const claims = { decision, workflowId, runId: release.runId, text };
  const token = await mintApprovalToken(deps.key, deps.origin, user, claims);
  // The token's hash lets a log line be matched with the workflow's record; the token itself is never logged.
  const fingerprint = tokenFingerprint(token);
  const via = request.via === 'cli' ? ' from the CLI' : '';
  deps.log(`approvals page: ${user.upn} ${decision}s ${workflowId}${via} (token sha256 ${fingerprint}…)`);
  return sendDecision(deps, { ...request, token });
}

async function sendDecision(deps: PageDeps, request: DecisionRequest & { token: string }): Promise<DecisionResult> {
  const { user, decision, workflowId, text, token } = request;
  try {
    const status =
      decision === 'approve'
        ? await approveRelease(deps.client, workflowId, { approver: user.upn, comment: text, token })
        : await rejectRelease(deps.client, workflowId, { approver: user.upn, reason: text, token });
    return { ok: true, outcome: decision === 'approve' ? 'approved' : 'rejected', status };
  } catch (err) {
    if (err instanceof ReleaseUpdateRefusedError) {
      return { ok: false, type: 'RefusedByRelease', httpStatus: 409, message: err.message };
    }
    deps.log(`approvals page: ${decision} of ${workflowId} failed: ${(err as Error).name}`);
    return {
      ok: false,
      type: 'Unreachable',
      httpStatus: 502,
      message: 'The release could not be reached; try again.',
    };
  }
}
