/**
 * Whether the signed-in person may decide a release or a batch, by the rules the workflows' validators apply
 * (four-eyes with look-alikes folded, the approver list): the page hides the buttons and refuses a forced POST by the
 * same answer, and so does its API for the CLI.
 */
import { couldPassFor, sameIdentity, type BulkProgress, type ReleaseStatus } from '../../contract/index.js';

/** Why not, as a stable code (the API's HTTP status follows it) and in words. */
export type MayNotDecide = 'no-answer' | 'not-awaiting' | 'requester' | 'not-approver';

export type MayDecide = { ok: true } | { ok: false; code: MayNotDecide; why: string };

/** What both workflows say about a decision: where they are, who asked, who may decide, whether it was taken. */
interface Decidable {
  kind: 'release' | 'batch';
  state: string;
  requestedBy: string | null;
  approvers: string[] | null;
  decided: boolean;
}

export function mayDecide(upn: string, status: ReleaseStatus | null): MayDecide {
  if (!status) return { ok: false, code: 'no-answer', why: 'the release did not answer: its worker may be down' };
  const { state, requestedBy, approval } = status;
  return mayDecideOn(upn, {
    kind: 'release',
    state,
    requestedBy,
    approvers: approval.approvers,
    decided: approval.decision !== null,
  });
}

export function mayDecideBatch(upn: string, progress: BulkProgress | null): MayDecide {
  if (!progress) return { ok: false, code: 'no-answer', why: 'the batch did not answer: its worker may be down' };
  // A batch from a worker that predates the page's fields says no requester: nobody can be checked against it.
  if (progress.requestedBy === undefined) {
    return { ok: false, code: 'no-answer', why: 'the batch does not say who requested it' };
  }
  return mayDecideOn(upn, {
    kind: 'batch',
    state: progress.state,
    requestedBy: progress.requestedBy,
    approvers: progress.approval.approvers ?? null,
    decided: progress.approval.decision !== null,
  });
}

function mayDecideOn(upn: string, subject: Decidable): MayDecide {
  if (subject.state !== 'awaiting-approval' || subject.decided) {
    const why = `the ${subject.kind} is not awaiting a decision (state: ${subject.state})`;
    return { ok: false, code: 'not-awaiting', why };
  }
  if (subject.requestedBy !== null && couldPassFor(upn, subject.requestedBy)) {
    const why = `you requested this ${subject.kind}: someone else must decide (four-eyes)`;
    return { ok: false, code: 'requester', why };
  }
  if (subject.approvers && !subject.approvers.some((approver) => sameIdentity(approver, upn))) {
    return { ok: false, code: 'not-approver', why: 'you are not one of its approvers' };
  }
  return { ok: true };
}
