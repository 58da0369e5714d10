import * as wf from '@temporalio/workflow';
import {
  BRIEF_STATES,
  DefenderMachineIdAttribute,
  IncidentIdAttribute,
  isEndState,
  ReleaseStateAttribute,
  type ApprovalVerification,
  type MachineActionSummary,
  type NudgeChannel,
  type ReleaseFailureType,
  type ReleaseOutcome,
  type ReleaseRequest,
  type ReleaseResult,
  type ReleaseState,
  type ReleaseStatus,
  type ValidatedReleaseRequest,
} from '../../contract/index.js';
import { newTokenLedger, type TokenLedger } from '../approval/token-ledger.js';
import { validatedOrBug } from '../validated.js';
import { currentDetails } from './current-details.js';

type How = NonNullable<ReleaseStatus['machineAction']>['how'];

/**
 * What a release shows the world, kept in one place: the `status` query's answer, the `ReleaseState` search attribute,
 * the current details in the Temporal UI, the memo, and the release metrics. Steps report to it; it never calls
 * Defender.
 */
export class ReleaseTracker {
  readonly status: ReleaseStatus;
  /** The start input as sent: read by the approval validators until the request is validated. */
  readonly input: ReleaseRequest;
  /** Nudges that the followed action is final, not yet checked against the watcher's record (anyone can send one). */
  finalNudges = 0;
  /** The request once validated. */
  validated: ValidatedReleaseRequest | undefined;
  /** The tenant's rule for decisions, as validation said (never the input); undefined before. */
  verification: ApprovalVerification | undefined;
  /** Approval tokens tried, and whether one is being verified. */
  readonly tokens: TokenLedger = newTokenLedger();
  /** The channels that nudge the tenant's approvers, as validation said (names only; the worker holds the URLs). */
  nudgeChannels: readonly NudgeChannel[] = [];
  /** The `ReleaseState` search attribute as last recorded (by the starter, or here). */
  #listedAs: string | null = wf.workflowInfo().typedSearchAttributes.get(ReleaseStateAttribute) ?? null;
  // Workflow metrics go through the worker's runtime meter and are not emitted again on replay.
  readonly #ended = wf.metricMeter.createCounter(
    'defender_isolation_releases',
    '1',
    'Releases that ended, by outcome (the final ReleaseState)',
  );
  readonly #approvalWait = wf.metricMeter.createHistogram(
    'defender_isolation_approval_wait',
    'float',
    's',
    'Seconds from awaiting-approval to the decision (or expiry)',
  );

  constructor(input: ReleaseRequest) {
    const info = wf.workflowInfo();
    this.input = input;
    this.status = {
      workflowId: info.workflowId,
      state: 'validating',
      machineId: null,
      tenant: null,
      computerDnsName: null,
      incidentId: null,
      requestedBy: null,
      requestedAt: info.startTime.toISOString(),
      approval: { mode: null, approvers: null, expiresAt: null, decision: null, verification: 'required' },
      machineAction: null,
      cancelledIsolationActionId: null,
      lastError: null,
      result: null,
      cancellation: null,
    };
  }

  /** The validated request; steps after validation only. */
  get request(): ValidatedReleaseRequest {
    return validatedOrBug(this.validated, 'release request');
  }

  /** Records the validated request: in the status, the memo and the search attributes the starter left out. */
  accept(request: ValidatedReleaseRequest, verification: ApprovalVerification): void {
    this.validated = request;
    this.verification = verification;
    this.status.approval.verification = verification;
    Object.assign(this.status, {
      machineId: request.machineId,
      tenant: request.tenant,
      incidentId: request.incidentId,
      requestedBy: request.requestedBy,
    });
    // Only when proven: a status recorded before verified requesters existed has no such field.
    if (request.requester) this.status.requester = request.requester;
    this.status.approval.mode = request.approval.kind;
    this.status.approval.approvers = request.approval.kind === 'required' ? request.approval.approvers : null;
    recordAudit(request);
  }

  setState(state: ReleaseState): void {
    if (this.status.state === state) return;
    this.status.state = state;
    if (isEndState(state)) this.#ended.add(1, { outcome: state, tenant: this.validated?.tenant ?? 'default' });
    if (!BRIEF_STATES.includes(state) || this.#listedAs === 'awaiting-approval') {
      wf.upsertSearchAttributes([{ key: ReleaseStateAttribute, value: state }]);
      this.#listedAs = state;
    }
    wf.setCurrentDetails(this.describe());
  }

  /** From now on the release follows this machine action. */
  follow(action: MachineActionSummary, how: How): void {
    this.status.machineAction = { id: action.id, status: action.status, how, submittedAt: new Date().toISOString() };
    wf.log.info('Following release action', { machineActionId: action.id, how });
  }

  /** The last status Defender gave for the followed action. */
  noteActionStatus(status: string): void {
    if (this.status.machineAction) this.status.machineAction.status = status;
  }

  recordApprovalWait(startedAt: number): void {
    const decision = this.status.approval.decision?.decision ?? 'expired';
    this.#approvalWait.record((Date.now() - startedAt) / 1000, { decision });
  }

  /** Ends the release in failure: records it, then throws the non-retryable typed failure the workflow fails with. */
  end(state: ReleaseState, type: ReleaseFailureType, message: string, details?: unknown): never {
    this.status.lastError = { type, message };
    this.setState(state);
    wf.log.warn(`Release ended: ${type}`, { message });
    throw wf.ApplicationFailure.create({ message, type, nonRetryable: true, details: details ? [details] : undefined });
  }

  complete(outcome: ReleaseOutcome, verified = true): ReleaseResult {
    const decision = this.status.approval.decision;
    const result: ReleaseResult = {
      outcome,
      ...(this.status.machineAction ? { machineActionId: this.status.machineAction.id } : {}),
      requestedBy: this.request.requestedBy,
      ...(decision?.decision === 'approved' ? { approvedBy: decision.by } : {}),
      completedAt: new Date().toISOString(),
      verified,
    };
    this.status.result = result;
    this.setState(outcome);
    wf.log.info(`Release ended: ${outcome}`, { machineActionId: result.machineActionId, verified });
    return result;
  }

  /** What the Temporal UI shows under "Current Details": markdown for a person (./current-details.ts). */
  describe(): string {
    return currentDetails(this.status);
  }
}

/** Memo and search attributes, for requests started without them (e.g. from the stock `temporal` CLI). */
function recordAudit(request: ValidatedReleaseRequest): void {
  const info = wf.workflowInfo();
  const memo = {
    requestedBy: request.requestedBy,
    incidentId: request.incidentId,
    comment: request.comment,
    ...(request.tenant ? { tenant: request.tenant } : {}),
  };
  const current = info.memo ?? {};
  if (Object.entries(memo).some(([k, value]) => (current[k] ?? null) !== value)) wf.upsertMemo(memo);
  const missing = [
    { key: DefenderMachineIdAttribute, value: request.machineId },
    ...(request.incidentId ? [{ key: IncidentIdAttribute, value: request.incidentId }] : []),
  ].filter(({ key, value }) => info.typedSearchAttributes.get(key) !== value);
  if (missing.length > 0) wf.upsertSearchAttributes(missing);
}
