import { ApplicationFailure } from '@temporalio/workflow';

/** Why an `approve` or `reject` update was refused; the validator throws it, so nothing reaches history. */
export function refuseApproval(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'ApprovalRefused');
}

/**
 * The rules every decider must pass, for a single release and a batch alike: a name, someone other than the requester
 * (case-insensitive: four-eyes), and one of the approvers when a list was given. Synchronous, for update validators.
 */
export function checkApprover(args: {
  approver: unknown;
  requestedBy: string;
  approvers: string[] | null;
  subject: 'release' | 'batch';
  verb: string;
}): void {
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
