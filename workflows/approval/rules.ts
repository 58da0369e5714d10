import { ApplicationFailure } from '@temporalio/workflow';
import { APPROVAL_REFUSED } from '../../contract/index.js';

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
 * The rules every decider must pass, for a single release and a batch alike: a name, someone other than the requester
 * (case-insensitive: four-eyes), and one of the approvers when a list was given. Synchronous, for update validators.
 */
export function checkApprover(args: DeciderRules & { approver: unknown; subject: 'release' | 'batch'; verb: string }) {
  const { approver, subject, verb } = args;
  if (typeof approver !== 'string' || approver.trim() === '' || approver.length > 200) {
    throw refuseApproval('approver must be a non-empty string of at most 200 characters');
  }
  const who = approver.trim().toLowerCase();
  if (who === args.requestedBy.toLowerCase()) {
    throw refuseApproval(`four-eyes: ${approver.trim()} requested this ${subject} and cannot ${verb} it`);
  }
  if (args.approvers && !args.approvers.some((a) => a.toLowerCase() === who)) {
    throw refuseApproval(
      `${approver.trim()} is not an approver of this ${subject} (approvers: ${args.approvers.join(', ')})`,
    );
  }
}

/** A decision's comment or reason: optional for an approval, required for a rejection. */
export function checkDecisionText(text: unknown, verb: 'approve' | 'reject'): void {
  if (verb === 'approve') {
    if (text !== undefined && (typeof text !== 'string' || text.length > 1000)) {
      throw refuseApproval('comment must be a string of at most 1000 characters');
    }
  } else if (typeof text !== 'string' || text.trim() === '' || text.length > 1000) {
    throw refuseApproval('reject needs a reason of 1 to 1000 characters');
  }
}
