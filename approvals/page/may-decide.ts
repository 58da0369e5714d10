/**
 * Whether the signed-in person may decide a release, by the rules the workflow's validator applies (four-eyes with
 * look-alikes folded, the approver list): the page hides the buttons and refuses a forced POST by the same answer.
 */
import { couldPassFor, sameIdentity, type ReleaseStatus } from '../../contract/index.js';

export type MayDecide = { ok: true } | { ok: false; why: string };

export function mayDecide(upn: string, status: ReleaseStatus | null): MayDecide {
  if (!status) return { ok: false, why: 'the release did not answer: its worker may be down' };
  if (status.state !== 'awaiting-approval' || status.approval.decision) {
    return { ok: false, why: `the release is not awaiting a decision (state: ${status.state})` };
  }
  if (status.requestedBy !== null && couldPassFor(upn, status.requestedBy)) {
    return { ok: false, why: 'you requested this release: someone else must decide (four-eyes)' };
  }
  const approvers = status.approval.approvers;
  if (approvers && !approvers.some((approver) => sameIdentity(approver, upn))) {
    return { ok: false, why: 'you are not one of its approvers' };
  }
  return { ok: true };
}
