import { ApplicationFailure } from '@temporalio/workflow';
import { APPROVAL_REFUSED, checkIdentity, couldPassFor, sameIdentity, textProblem } from '../../contract/index.js';
import { listSome } from '../../contract/bounded-text.js';

/** Why an `approve` or `reject` update was refused; the validator throws it, so nothing reaches history. */
export function refuseApproval(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, APPROVAL_REFUSED);
}

/** Who may decide: anyone but the requester, and one of the approvers when a list was given. */
export interface DeciderRules {
  requestedBy: string;
  approvers: string[] | null;
}

/**
 * The rules every decider must pass, for a single release and a batch alike: a name that hides or imitates no
 * character, someone other than the requester (four-eyes), and one of the approvers when a list was given. Names are
 * compared as people see them (`sameIdentity`: case, compatibility forms and look-alikes folded). Synchronous, for
 * update validators.
 */
export function checkApprover(args: DeciderRules & { approver: unknown; subject: 'release' | 'batch'; verb: string }) {
  const { approver, subject, verb } = args;
  if (typeof approver !== 'string' || approver.trim() === '' || approver.length > 200) {
    throw refuseApproval('approver must be a non-empty string of at most 200 characters');
  }
  const checked = checkIdentity(approver);
  if (checked.problem !== undefined) throw refuseApproval(`approver ${checked.problem}`);
  const who = checked.identity;
  if (couldPassFor(who, args.requestedBy)) {
    const alike = who.toLowerCase() === args.requestedBy.toLowerCase() ? '' : ` (looks like ${args.requestedBy})`;
    throw refuseApproval(`four-eyes: ${who}${alike} requested this ${subject} and cannot ${verb} it`);
  }
  if (args.approvers && !args.approvers.some((a) => sameIdentity(a, who))) {
    // A list of 100 long names would make a refusal nobody reads: the first few, and how many more.
    throw refuseApproval(`${who} is not an approver of this ${subject} (approvers: ${listSome(args.approvers)})`);
  }
}

/** The name a decision records: the approver as checked, in the form the request's names are stored in. */
export function deciderName(approver: string): string {
  return checkIdentity(approver).identity ?? approver.trim();
}

/**
 * A decision's comment or reason: optional for an approval, required for a rejection; like every free text, without
 * control characters or bidi overrides (it reaches logs, terminals and the batch's children).
 */
export function checkDecisionText(text: unknown, verb: 'approve' | 'reject'): void {
  if (verb === 'approve') {
    if (text !== undefined && (typeof text !== 'string' || text.length > 1000)) {
      throw refuseApproval('comment must be a string of at most 1000 characters');
    }
  } else if (typeof text !== 'string' || text.trim() === '' || text.length > 1000) {
    throw refuseApproval('reject needs a reason of 1 to 1000 characters');
  }
  const problem = typeof text === 'string' ? textProblem(text) : null;
  if (problem) throw refuseApproval(`${verb === 'approve' ? 'comment' : 'reason'} ${problem}`);
}
