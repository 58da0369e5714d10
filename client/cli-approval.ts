/** The approval of a release or a batch, from the CLI's options: one place, so `release` and `bulk` refuse alike. */
import type { ApprovalRequest } from '../contract/index.js';
import { InvalidReleaseRequestError } from '../contract/schemas/index.js';

export interface ApprovalOptions {
  approver?: string[] | undefined;
  'approval-timeout'?: string | undefined;
  'pre-approved-by'?: string | undefined;
  reason?: string | undefined;
}

/**
 * `--pre-approved-by <who> --reason <text>`, or `--approver`/`--approval-timeout`, or nothing. Refused here rather than
 * by the schema, whose message would name `approval.reason` and not the option that is missing.
 */
export function approvalFrom(values: ApprovalOptions): { approval?: ApprovalRequest } {
  const preApprovedBy = values['pre-approved-by'];
  if (preApprovedBy !== undefined) {
    if (values.approver !== undefined || values['approval-timeout'] !== undefined) {
      throw refusal('--pre-approved-by excludes --approver and --approval-timeout', 'approval');
    }
    if (values.reason === undefined) throw refusal('--pre-approved-by needs --reason', 'approval.reason');
    return { approval: { preApprovedBy, reason: values.reason } };
  }
  if (values.approver === undefined && values['approval-timeout'] === undefined) return {};
  return {
    approval: {
      ...(values.approver ? { approvers: values.approver } : {}),
      ...(values['approval-timeout'] ? { timeout: values['approval-timeout'] } : {}),
    },
  };
}

function refusal(message: string, field: string): InvalidReleaseRequestError {
  return new InvalidReleaseRequestError(message, [field]);
}
