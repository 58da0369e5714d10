import * as wf from '@temporalio/workflow';
import { ReleaseFailureType, type BulkApproveInput } from '../../contract/index.js';
import { preApprovedDecision, type Decision, type Verb } from '../approval/decisions.js';
import { checkApprover, checkDecisionText, refuseApproval, type DeciderRules } from '../approval/rules.js';
import { nudgeApprovers, type NudgeEvidence } from '../approval/nudge.js';
import { checkApprovalToken } from '../approval/verified.js';
import type { Batch } from './batch.js';

/**
 * The `approve`/`reject` validators of a batch. Unlike a single release, a batch takes a decision only once its targets
 * are resolved and shown (awaiting-approval): an approver decides on a list and its digest, never blind. With the
 * tenant's decisions verified, the token is read and checked here, and its signature by the handler.
 */
export function checkBatchDecision(batch: Batch, input: Partial<BulkApproveInput & { reason: string }>, verb: Verb) {
  const rules = batchRules(batch, verb);
  const fields = input ?? {};
  if (batch.verification === 'off') {
    if (batch.tokens.verifying) throw refuseApproval(`another decision is being verified; cannot ${verb} now`);
    checkApprover({ ...rules, approver: fields.approver, subject: 'batch', verb });
    checkDecisionText(verb === 'approve' ? fields.comment : fields.reason, verb);
  } else {
    checkApprovalToken({ fields, verb, ledger: batch.tokens, rules, subject: 'batch' });
  }
  // A decision taken on another batch's target list cannot be replayed onto this one.
  if (verb === 'approve' && fields.targetDigest !== undefined && fields.targetDigest !== batch.digest) {
    throw refuseApproval(
      `targetDigest does not match this batch (${batch.digest ?? 'unresolved'}): the approval was for other targets`,
    );
  }
}

/** The handlers' check after verifying a token: the batch still awaits a decision, and this approver may take it. */
export function recheckBatchDecision(batch: Batch, verb: Verb, approver: unknown): void {
  checkApprover({ ...batchRules(batch, verb), approver, subject: 'batch', verb });
}

function batchRules(batch: Batch, verb: Verb): DeciderRules {
  const request = batch.validated;
  if (batch.state !== 'awaiting-approval' || !request || request.approval.kind !== 'required' || batch.decision) {
    throw refuseApproval(`batch ${batch.workflowId} is not awaiting approval (state: ${batch.state}); cannot ${verb}`);
  }
  return { requestedBy: request.requestedBy, approvers: request.approval.approvers };
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
  // Once per wait: a run continued as new resumes after the decision and never comes here.
  const stopNudges = nudgeApprovers(batch.nudgeChannels, batchEvidence(batch), approval.timeoutMs);
  const decided = await wf.condition(() => batch.decision !== null, approval.timeoutMs, {
    summary: 'approval expires',
  });
  stopNudges();
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

function batchEvidence(batch: Batch): NudgeEvidence {
  const request = batch.request;
  return {
    subject: 'batch',
    tenant: request.tenant,
    workflowId: batch.workflowId,
    runId: wf.workflowInfo().runId,
    requestedBy: request.requestedBy,
    incidentId: request.incidentId,
    comment: request.comment,
    expiresAt: batch.expiresAt!,
    verification: batch.verification ?? 'off',
    targets: { count: batch.targets.length, digest: batch.digest ?? '' },
  };
}
