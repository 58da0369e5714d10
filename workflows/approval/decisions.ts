import type { UpdateDefinition } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import type { ApprovalDecision, ApproveInput, RejectInput, ValidatedApproval } from '../../contract/index.js';
import { deciderName } from './rules.js';

export type Verb = 'approve' | 'reject';
export type Decision = Omit<ApprovalDecision, 'at' | 'source'>;

/** What a release or a batch does with a decision: checks it (synchronously: a refusal leaves no history), records it. */
export interface DecisionGate<R> {
  check(input: unknown, verb: Verb): void;
  record(decision: Decision): R;
}

/** The `approve` and `reject` updates of a release or a batch, each with its validator. */
export function registerDecisionUpdates<R, A extends ApproveInput>(
  updates: { approve: UpdateDefinition<R, [A]>; reject: UpdateDefinition<R, [RejectInput]> },
  gate: DecisionGate<R>,
): void {
  wf.setHandler(
    updates.approve,
    ({ approver, comment }) =>
      gate.record({ decision: 'approved', by: deciderName(approver), comment: comment ?? null }),
    { validator: (input) => gate.check(input, 'approve') },
  );
  wf.setHandler(
    updates.reject,
    ({ approver, reason }) => gate.record({ decision: 'rejected', by: deciderName(approver), comment: reason }),
    { validator: (input) => gate.check(input, 'reject') },
  );
}

/** The decision a pre-approval records: taken elsewhere (a change ticket, a batch approval), and said so. */
export function preApprovedDecision(approval: Extract<ValidatedApproval, { kind: 'pre-approved' }>): ApprovalDecision {
  return {
    decision: 'approved',
    by: approval.approvedBy,
    at: new Date().toISOString(),
    comment: approval.reason,
    source: 'pre-approved',
  };
}
