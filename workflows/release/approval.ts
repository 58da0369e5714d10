import * as wf from '@temporalio/workflow';
import { checkIdentity, ReleaseFailureType, type ApprovalDecision, type ReleaseStatus } from '../../contract/index.js';
import { preApprovedDecision, type Decision, type Verb } from '../approval/decisions.js';
import { checkApprover, checkDecisionText, refuseApproval, type DeciderRules } from '../approval/rules.js';
import { nudgeApprovers, type NudgeEvidence } from '../approval/nudge.js';
import { checkApprovalToken, type DecisionFields } from '../approval/verified.js';
import { LeftRunningTimer } from './left-running-timer.js';
import type { ReleaseTracker } from './release-tracker.js';

/** States in which a decision is taken: before the check says one is needed (applied then), and while awaited. */
const DECIDING_STATES: ReadonlySet<string> = new Set(['validating', 'checking', 'awaiting-approval']);

/**
 * The `approve`/`reject` validators: synchronous, so a refused decision leaves nothing in history. A decision may
 * arrive before the check (a playbook approving right after starting); it is held to the same rules. With the
 * tenant's decisions verified (or while validation has not said yet, for a decision that carries a token) the token is
 * read and checked here, and its signature by the handler.
 */
export function checkDecision(release: ReleaseTracker, input: unknown, verb: Verb): void {
  const rules = decidingRules(release, verb);
  const fields = (input ?? {}) as DecisionFields;
  const mode = release.verification;
  if (mode === 'required' || (mode === undefined && fields.token !== undefined)) {
    checkApprovalToken({ fields, verb, ledger: release.tokens, rules, subject: 'release' });
    return;
  }
  if (release.tokens.verifying) throw refuseApproval(`another decision is being verified; cannot ${verb} now`);
  checkApprover({ ...rules, approver: fields.approver, subject: 'release', verb });
  checkDecisionText(verb === 'approve' ? fields.comment : fields.reason, verb);
}

/** The handlers' check after verifying a token: the release still awaits a decision, and this approver may take it. */
export function recheckDecision(release: ReleaseTracker, verb: Verb, approver: unknown): void {
  checkApprover({ ...decidingRules(release, verb), approver, subject: 'release', verb });
}

/** The rules a decision is held to now, or a refusal when none is taken now. */
function decidingRules(release: ReleaseTracker, verb: Verb): DeciderRules {
  const { workflowId, state, approval } = release.status;
  if (!DECIDING_STATES.has(state)) {
    throw refuseApproval(`release ${workflowId} is not awaiting approval (state: ${state}); cannot ${verb}`);
  }
  if (approval.decision) throw refuseApproval(`release ${workflowId} was already ${approval.decision.decision}`);
  const rules = deciderRules(release);
  if (rules === 'pre-approved') throw refuseApproval(`release ${workflowId} was pre-approved; no decision is needed`);
  if (!rules) throw refuseApproval(`release ${workflowId} is not awaiting approval (state: ${state}); cannot ${verb}`);
  return rules;
}

/** The `approve`/`reject` handlers: the decision is recorded now and applied by the approval step. */
export function recordDecision(release: ReleaseTracker, decision: Decision): ReleaseStatus {
  release.status.approval.decision = { ...decision, at: new Date().toISOString(), source: 'update' };
  wf.log.info(`Release ${decision.decision}`, { by: decision.by, state: release.status.state });
  return release.status;
}

/**
 * Step 3: the second person's decision, unless it was taken elsewhere (pre-approved). Returns whether the release
 * waited for it: the machine may have changed meanwhile and is then read again before acting.
 */
export async function approve(release: ReleaseTracker): Promise<{ waited: boolean }> {
  const { approval } = release.request;
  const status = release.status.approval;
  if (approval.kind === 'pre-approved') {
    status.decision = preApprovedDecision(approval);
    wf.log.info('Release pre-approved', { by: approval.approvedBy });
    return { waited: false };
  }
  const startedAt = Date.now();
  const waited = status.decision === null;
  if (waited) {
    status.expiresAt = new Date(startedAt + approval.timeoutMs).toISOString();
    release.setState('awaiting-approval');
    // Only when the release enters the wait: a decision that came first needs no nudge.
    const stopNudges = nudgeApprovers(release.nudgeChannels, releaseEvidence(release), approval.timeoutMs);
    await new LeftRunningTimer(approval.timeoutMs, 'approval expires').waitFor(() => status.decision !== null);
    stopNudges();
  }
  release.recordApprovalWait(startedAt);
  applyDecision(release, status.decision, approval.timeoutMs);
  return { waited };
}

function releaseEvidence(release: ReleaseTracker): NudgeEvidence {
  const request = release.request;
  const { status } = release;
  return {
    subject: 'release',
    tenant: request.tenant,
    workflowId: status.workflowId,
    runId: wf.workflowInfo().runId,
    requestedBy: request.requestedBy,
    incidentId: request.incidentId,
    comment: request.comment,
    expiresAt: status.approval.expiresAt!,
    verification: release.verification ?? 'off',
    machine: { id: request.machineId, computerDnsName: status.computerDnsName },
  };
}

function applyDecision(release: ReleaseTracker, decision: ApprovalDecision | null, timeoutMs: number): void {
  if (!decision) {
    release.end('approval-expired', ReleaseFailureType.ApprovalExpired, `no approval within ${timeoutMs / 1000}s`);
  }
  if (decision.decision === 'rejected') {
    release.end(
      'rejected',
      ReleaseFailureType.ReleaseRejected,
      `rejected by ${decision.by}: ${decision.comment ?? ''}`,
      decision,
    );
  }
}

/** Who may decide now: the validated request's rules, or, while it is being validated, the request as sent. */
function deciderRules(release: ReleaseTracker): DeciderRules | 'pre-approved' | null {
  const request = release.validated;
  if (request) {
    return request.approval.kind === 'pre-approved'
      ? 'pre-approved'
      : { requestedBy: request.requestedBy, approvers: request.approval.approvers };
  }
  const { requestedBy, approval } = (release.input ?? {}) as { requestedBy?: unknown; approval?: unknown };
  const requester = checkIdentity(requestedBy).identity;
  // A request whose names validation will refuse gives no rules to decide by.
  if (requester === undefined) return null;
  const sent = (approval ?? {}) as { preApprovedBy?: unknown; approvers?: unknown };
  if (sent.preApprovedBy !== undefined) return 'pre-approved';
  if (sent.approvers === undefined) return { requestedBy: requester, approvers: null };
  const approvers = Array.isArray(sent.approvers) ? sent.approvers.map((a) => checkIdentity(a).identity) : [undefined];
  if (approvers.some((a) => a === undefined)) return null;
  return { requestedBy: requester, approvers: approvers as string[] };
}
