import * as wf from '@temporalio/workflow';
import { ReleaseFailureType, type BulkApproveInput } from '../../contract/index.js';
import { preApprovedDecision, type Decision, type Verb } from '../approval/decisions.js';
import { checkApprover, checkDecisionText, refuseApproval } from '../approval/rules.js';
import type { Batch } from './batch.js';

/**
 * The `approve`/`reject` validators of a batch. Unlike a single release, a batch takes a decision only once its targets
 * are resolved and shown (awaiting-approval): an approver decides on a list and its digest, never blind.
 */
export function checkBatchDecision(batch: Batch, input: Partial<BulkApproveInput & { reason: string }>, verb: Verb) {
  const request = batch.validated;
  if (batch.state !== 'awaiting-approval' || !request || request.approval.kind !== 'required' || batch.decision) {
    throw refuseApproval(`batch ${batch.workflowId} is not awaiting approval (state: ${batch.state}); cannot ${verb}`);
  }
  const { approvers } = request.approval;
  checkApprover({ approver: input?.approver, requestedBy: request.requestedBy, approvers, subject: 'batch', verb });
  checkDecisionText(verb === 'approve' ? input.comment : input.reason, verb);
  // A decision taken on another batch's target list cannot be replayed onto this one.
  if (verb === 'approve' && input.targetDigest !== undefined && input.targetDigest !== batch.digest) {
    throw refuseApproval(
      `targetDigest does not match this batch (${batch.digest ?? 'unresolved'}): the approval was for other targets`,
    );
  }
}

export function recordBatchDecision(batch: Batch, decision: Decision) {
  batch.decision = { ...decision, at: new Date().toISOString(), source: 'update' };
  return batch.progress();
}

/**
 * One approval for the whole batch, unless it was taken elsewhere (pre-approved). Returns whether the batch waited:
 * the machines may have changed meanwhile and are then read again before acting.
 */
export async function approveBatch(batch: Batch): Promise<{ waited: boolean }> {
  const { approval } = batch.request;
  if (approval.kind === 'pre-approved') {
    batch.decision = preApprovedDecision(approval);
    return { waited: false };
  }
  batch.state = 'awaiting-approval';
  batch.expiresAt = new Date(Date.now() + approval.timeoutMs).toISOString();
  const decided = await wf.condition(() => batch.decision !== null, approval.timeoutMs, {
    summary: 'approval expires',
  });
  if (!decided) {
    batch.end(
      'approval-expired',
      ReleaseFailureType.ApprovalExpired,
      `no approval within ${approval.timeoutMs / 1000}s`,
    );
  }
  const decision = batch.decision!;
  if (decision.decision === 'rejected') {
    batch.end('rejected', ReleaseFailureType.ReleaseRejected, `rejected by ${decision.by}: ${decision.comment ?? ''}`);
  }
  return { waited: true };
}
