/**
 * Whether the signed-in person may decide a release, by the rules the workflow's validator applies (four-eyes with
 * look-alikes folded, the approver list): the page hides the buttons and refuses a forced POST by the same answer, and
 * so does its API for the CLI.
 */
import { couldPassFor, sameIdentity, type ReleaseStatus } from '../../contract/index.js';

/** Why not, as a stable code (the API's HTTP status follows it) and in words. */
export type MayNotDecide = 'no-answer' | 'not-awaiting' | 'requester' | 'not-approver';

export type MayDecide = { ok: true } | { ok: false; code: MayNotDecide; why: string };

export function mayDecide(upn: string, status: ReleaseStatus | null): MayDecide {
  if (!status) return { ok: false, code: 'no-answer', why: 'the release did not answer: its worker may be down' };
  if (status.state !== 'awaiting-approval' || status.approval.decision) {
    return { ok: false, code: 'not-awaiting', why: `the release is not awaiting a decision (state: ${status.state})` };
  }
  if (status.requestedBy !== null && couldPassFor(upn, status.requestedBy)) {
    return {
      ok: false,
      code: 'requester',
      why: 'you requested this release: someone else must decide (four-eyes)',
    };
  }
  const approvers = status.approval.approvers;
  if (approvers && !approvers.some((approver) => sameIdentity(approver, upn))) {
    return { ok: false, code: 'not-approver', why: 'you are not one of its approvers' };
  }
  return { ok: true };
}
