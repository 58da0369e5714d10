import type { SearchAttributeUpdatePair } from '@temporalio/common/lib/search-attributes.js';
import * as wf from '@temporalio/workflow';
import type { DefenderActivities } from '../activities/defender-activities.js';
import type {
  ActionOutcome,
  IsolationState,
  IsolationView,
  MachineActionSummary,
  MachineSummary,
  ReleaseSubmission,
} from '../activities/types.js';
import type { WatcherActivities } from '../activities/watcher-activities.js';
import type { ValidationActivities } from '../activities/validation-activities.js';
import {
  approveUpdate,
  rejectUpdate,
  ReleaseFailureType,
  statusQuery,
  type ApprovalDecision,
  type ReleaseRequest,
  type ReleaseResult,
  type ReleaseState,
  type ReleaseStatus,
  type ValidatedReleaseRequest,
} from './definitions.js';
import { checkApprover, refuseApproval } from './approval-rules.js';
import { releaseOutcomeSignal, type ReleaseOutcomeReport } from './bulk-definitions.js';
import { outcomeOfFailure } from './machine-outcome.js';
import { DefenderMachineIdAttribute, IncidentIdAttribute, ReleaseStateAttribute } from './search-attributes.js';
import { actionFinalSignal, apiTaskQueue } from './watcher-definitions.js';

const { validateReleaseRequest } = wf.proxyLocalActivities<ValidationActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
});

const { watchMachineAction } = wf.proxyLocalActivities<WatcherActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});

/**
 * Releases started from this version on send every Defender call through the tenant's rate-limited API task queue, one
 * call per activity, and learn their action's end from the tenant's watcher. Older runs replay the first version.
 */
const SHARED_BUDGET_PATCH = 'defender-api-budget-and-watcher';

/**
 * Releases started from this version on (v3, on top of v2) keep history short, since history is storage and, on
 * Temporal Cloud, billed: the machine check is one list call (the machine is read only when it has no isolation
 * history, to tell an unknown machine from one never isolated), and the deadline timer of a confirmed release is left
 * to lapse with the workflow rather than cancelled. Older runs replay v2 or v1.
 */
const LEAN_HISTORY_PATCH = 'lean-history';

/** Outcomes of a POST that leave it unknown whether Defender created the action: look before posting again. */
const UNKNOWN_POST_OUTCOMES = [
  'DefenderServerError',
  'DefenderTimeout',
  'DefenderNetworkError',
  'DefenderInvalidResponse',
  // A retried attempt (after a worker crash or an activity timeout) refuses to post blind.
  'PreviousAttemptUnknown',
];

/** Defender calls: a short attempt (got's request timeout is shorter still), retried with backoff until `withinMs`. */
function defender(summary: string, withinMs: number) {
  return wf.proxyActivities<DefenderActivities>({
    summary,
    startToCloseTimeout: '60s',
    scheduleToCloseTimeout: withinMs,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m' },
  });
}

/** The same, on the tenant's rate-limited API task queue (one Defender call per activity). */
function defenderApi(
  request: ValidatedReleaseRequest,
  summary: string,
  withinMs: number,
  extra: Partial<wf.ActivityOptions> = {},
) {
  return wf.proxyActivities<DefenderActivities>({
    summary,
    taskQueue: apiTaskQueue(wf.workflowInfo().taskQueue, request.tenant),
    startToCloseTimeout: '60s',
    scheduleToCloseTimeout: withinMs,
    ...extra,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m', ...extra.retry },
  });
}

/** Activity failure types (from activities/failures.ts) and the release failure each becomes. */
const ACTIVITY_FAILURES: Record<string, { state: ReleaseState; type: ReleaseFailureType }> = {
  DefenderNotFound: { state: 'machine-not-found', type: ReleaseFailureType.MachineNotFound },
  DefenderAccessDenied: { state: 'access-denied', type: ReleaseFailureType.DefenderAccessDenied },
  InvalidInput: { state: 'invalid-input', type: ReleaseFailureType.InvalidInput },
};

const FINAL_STATUS_FAILURES: Record<string, { state: ReleaseState; type: ReleaseFailureType }> = {
  Failed: { state: 'action-failed', type: ReleaseFailureType.MachineActionFailed },
  TimeOut: { state: 'action-timed-out', type: ReleaseFailureType.MachineActionTimedOut },
  Cancelled: { state: 'action-cancelled', type: ReleaseFailureType.MachineActionCancelled },
};

const NOT_FOUND_GRACE_MS = 60_000;

const FINAL_STATES: ReadonlySet<ReleaseState> = new Set<ReleaseState>([
  'released',
  'already-released',
  'rejected',
  'approval-expired',
  'invalid-input',
  'machine-not-found',
  'access-denied',
  'action-failed',
  'action-timed-out',
  'action-cancelled',
  'deadline-exceeded',
  'reisolated',
  'defender-error',
  'cancelled',
]);

/**
 * The activity gave up because its schedule-to-close budget (the release deadline) ran out: either mid-attempt
 * (TimeoutFailure) or because the next retry would have started past it (retry state TIMEOUT, last failure attached).
 */
function deadlinePassed(err: unknown): boolean {
  return err instanceof wf.ActivityFailure && (err.cause instanceof wf.TimeoutFailure || err.retryState === 'TIMEOUT');
}
const MAX_SUBMIT_ROUNDS = 3;

/**
 * Releases one machine from network isolation in Microsoft Defender for Endpoint: validate → check the machine →
 * four-eyes approval → exactly one Unisolate action → follow it until Defender says it is final → make sure no isolation
 * completed after it. Every end other than success fails the workflow with a non-retryable, typed ApplicationFailure.
 */
export async function releaseMachine(request: ReleaseRequest): Promise<ReleaseResult> {
  const batch = wf.workflowInfo().parent?.workflowId;
  // Only the batch that started this release hears of it; any other reportTo is ignored.
  if (batch === undefined || request?.reportTo !== batch) {
    return runRelease(request);
  }
  const machineId = request.machineId;
  try {
    const result = await runRelease(request);
    await reportToBatch(batch, { machineId, outcome: result.outcome });
    return result;
  } catch (err) {
    const outcome = outcomeOfFailure(err);
    if (outcome) await wf.CancellationScope.nonCancellable(() => reportToBatch(batch, { machineId, outcome }));
    throw err;
  }
}

async function reportToBatch(batch: string, report: ReleaseOutcomeReport): Promise<void> {
  try {
    // No run id: the batch may have continued as new since it started this release.
    await wf.getExternalWorkflowHandle(batch).signal(releaseOutcomeSignal, report);
  } catch (err) {
    // The batch ended meanwhile (cancelled, terminated): nobody to tell.
    wf.log.info('Batch gone', { batch, error: String(err) });
  }
}

async function runRelease(request: ReleaseRequest): Promise<ReleaseResult> {
  const info = wf.workflowInfo();
  const status: ReleaseStatus = {
    workflowId: info.workflowId,
    state: 'validating',
    machineId: null,
    tenant: null,
    computerDnsName: null,
    incidentId: null,
    requestedBy: null,
    requestedAt: info.startTime.toISOString(),
    approval: { mode: null, approvers: null, expiresAt: null, decision: null },
    machineAction: null,
    cancelledIsolationActionId: null,
    lastError: null,
    result: null,
  };
  let validated: ValidatedReleaseRequest | undefined;
  // Workflow metrics go through the worker's runtime meter and are not emitted again on replay.
  const releasesEnded = wf.metricMeter.createCounter(
    'defender_isolation_releases',
    '1',
    'Releases that ended, by outcome (the final ReleaseState)',
  );
  const approvalWait = wf.metricMeter.createHistogram(
    'defender_isolation_approval_wait',
    'float',
    's',
    'Seconds from awaiting-approval to the decision (or expiry)',
  );
  /** Whether this run follows the shared-budget version, and the lean-history one on top (decided once, at start). */
  let v2 = false;
  let v3 = false;
  /** The machine action being followed. */
  let current: MachineActionSummary | undefined;
  let watcherOutcome: ActionOutcome | undefined;

  // Handlers first, before any await, so that no update or query arrives to a workflow without them.
  wf.setHandler(statusQuery, () => status);
  wf.setHandler(actionFinalSignal, (outcome) => {
    if (current && outcome.action.id === current.id) watcherOutcome = outcome;
  });
  wf.setHandler(
    approveUpdate,
    ({ approver, comment }) => decide({ decision: 'approved', by: approver.trim(), comment: comment ?? null }),
    {
      validator: (input) => {
        checkDecider(input?.approver, 'approve');
        if (input.comment !== undefined && (typeof input.comment !== 'string' || input.comment.length > 1000)) {
          throw wf.ApplicationFailure.nonRetryable(
            'comment must be a string of at most 1000 characters',
            'ApprovalRefused',
          );
        }
      },
    },
  );
  wf.setHandler(
    rejectUpdate,
    ({ approver, reason }) => decide({ decision: 'rejected', by: approver.trim(), comment: reason }),
    {
      validator: (input) => {
        checkDecider(input?.approver, 'reject');
        if (typeof input?.reason !== 'string' || input.reason.trim() === '' || input.reason.length > 1000) {
          throw refuseApproval('reject needs a reason of 1 to 1000 characters');
        }
      },
    },
  );

  /** Synchronous: a refused update leaves no event in history. Refusals carry the stable type `ApprovalRefused`. */
  function checkDecider(approver: unknown, verb: string): void {
    if (status.state !== 'awaiting-approval' || !validated || validated.approval.kind !== 'required') {
      throw refuseApproval(
        `release ${info.workflowId} is not awaiting approval (state: ${status.state}); cannot ${verb}`,
      );
    }
    if (status.approval.decision) {
      throw refuseApproval(`release ${info.workflowId} was already ${status.approval.decision.decision}`);
    }
    checkApprover({
      approver,
      requestedBy: validated.requestedBy,
      approvers: validated.approval.approvers,
      subject: 'release',
      verb,
    });
  }

  function decide(decision: Omit<ApprovalDecision, 'at' | 'source'>): ReleaseStatus {
    status.approval.decision = { ...decision, at: new Date().toISOString(), source: 'update' };
    wf.log.info(`Release ${decision.decision}`, { by: decision.by });
    return status;
  }

  function setState(state: ReleaseState): void {
    if (status.state === state) return;
    status.state = state;
    if (FINAL_STATES.has(state)) releasesEnded.add(1, { outcome: state, tenant: validated?.tenant ?? 'default' });
    wf.upsertSearchAttributes([{ key: ReleaseStateAttribute, value: state }]);
    wf.setCurrentDetails(describe());
  }

  function describe(): string {
    const host = status.computerDnsName
      ? `${status.computerDnsName} (${status.machineId})`
      : (status.machineId ?? 'machine');
    const parts = [`**${status.state}** — release of ${host}`];
    if (status.incidentId) parts.push(`incident ${status.incidentId}`);
    if (status.requestedBy) parts.push(`requested by ${status.requestedBy}`);
    if (status.approval.decision) parts.push(`${status.approval.decision.decision} by ${status.approval.decision.by}`);
    if (status.machineAction) parts.push(`machine action ${status.machineAction.id} ${status.machineAction.status}`);
    return parts.join(', ');
  }

  function end(state: ReleaseState, type: ReleaseFailureType, message: string, details?: unknown): never {
    status.lastError = { type, message };
    setState(state);
    wf.log.warn(`Release ended: ${type}`, { message });
    throw wf.ApplicationFailure.create({ message, type, nonRetryable: true, details: details ? [details] : undefined });
  }

  function complete(outcome: ReleaseResult['outcome']): ReleaseResult {
    const decision = status.approval.decision;
    const result: ReleaseResult = {
      outcome,
      ...(status.machineAction ? { machineActionId: status.machineAction.id } : {}),
      requestedBy: validated!.requestedBy,
      ...(decision?.decision === 'approved' ? { approvedBy: decision.by } : {}),
      completedAt: new Date().toISOString(),
    };
    status.result = result;
    setState(outcome);
    wf.log.info(`Release ended: ${outcome}`, { machineActionId: result.machineActionId });
    return result;
  }

  /** Turns a failed Defender activity into the release's end; returns normally only for failures it does not own. */
  function endOnActivityFailure(err: unknown, step: string): void {
    if (!(err instanceof wf.ActivityFailure)) return;
    if (deadlinePassed(err)) {
      end(
        'deadline-exceeded',
        ReleaseFailureType.ReleaseDeadlineExceeded,
        `${step}: Defender did not answer within the deadline`,
      );
    }
    if (err.cause instanceof wf.ApplicationFailure && err.cause.type) {
      const mapped = ACTIVITY_FAILURES[err.cause.type];
      const message = `${step}: ${err.cause.message}`;
      if (mapped) end(mapped.state, mapped.type, message, err.cause.details?.[0]);
      if (err.cause.nonRetryable && err.cause.type !== 'ActiveRequestAlreadyExists') {
        end(
          'defender-error',
          ReleaseFailureType.DefenderRequestFailed,
          `${message} (${err.cause.type})`,
          err.cause.details?.[0],
        );
      }
    }
  }

  const legacyCorrelationTag = `[defender-isolation ${info.workflowId}]`;
  // With the run id, so that an earlier release of the same machine (same workflow id) is never mistaken for ours.
  const runCorrelationTag = `[defender-isolation ${info.workflowId} ${info.runId.slice(0, 8)}]`;

  async function inspect(step: string): Promise<IsolationView> {
    const v = validated!;
    const readMachine = () =>
      defenderApi(v, `GET machine ${v.machineId}`, v.deadlineMs).getMachine({ machineId: v.machineId });
    try {
      if (v3) {
        const { ours: _ours, ...state } = await listState(step);
        const any = state.newestSucceeded ?? state.inFlightUnisolate ?? state.inFlightIsolate;
        // Any isolation action proves the machine exists and names it; with none, only the machine itself can tell
        // an unknown id (404, machine-not-found) from a machine that was never isolated.
        const machine: MachineSummary = any
          ? { id: v.machineId, computerDnsName: any.computerDnsName ?? null, healthStatus: null, osPlatform: null }
          : await readMachine();
        return { machine, ...state };
      }
      if (v2) {
        const machine = await readMachine();
        const { ours: _ours, ...state } = await listState(step);
        return { machine, ...state };
      }
      return await defender(`Read ${v.machineId} and its isolation actions`, v.deadlineMs).inspectMachine({
        machineId: v.machineId,
      });
    } catch (err) {
      endOnActivityFailure(err, step);
      throw err;
    }
  }

  /** v2: one list call: the machine's isolation actions, and the Unisolate this run created, if any. */
  async function listState(step: string): Promise<IsolationState> {
    const v = validated!;
    try {
      return await defenderApi(v, `List isolation actions of ${v.machineId}`, v.deadlineMs).listIsolationActions({
        machineId: v.machineId,
        correlationTag: runCorrelationTag,
      });
    } catch (err) {
      endOnActivityFailure(err, step);
      throw err;
    }
  }

  async function cancelAction(actionId: string, comment: string): Promise<MachineActionSummary> {
    const v = validated!;
    // Releases of named tenants (which never ran the first version) cancel through their tenant's API queue.
    const activities = v.tenant
      ? defenderApi(v, `Cancel machine action ${actionId}`, v.deadlineMs)
      : defender(`Cancel machine action ${actionId}`, v.deadlineMs);
    return activities.cancelMachineAction({
      actionId,
      comment,
    });
  }

  function adopt(submission: ReleaseSubmission): void {
    current = submission.action;
    status.machineAction = {
      id: submission.action.id,
      status: submission.action.status,
      how: submission.how,
      submittedAt: new Date().toISOString(),
    };
    wf.log.info('Following release action', { machineActionId: submission.action.id, how: submission.how });
  }

  const isIsolated = (view: IsolationView) => view.newestSucceeded?.type === 'Isolate';

  /**
   * MS docs #5903: a pending Isolate can complete after our release and leave the device isolated, so it is cancelled
   * first and recorded. Returns true when it had already succeeded (the machine is isolated after all).
   */
  async function cancelRacingIsolate(isolate: MachineActionSummary): Promise<boolean> {
    const cancelled = await cancelAction(
      isolate.id,
      `Cancelled before release from isolation by ${info.workflowId} (approved release)`,
    );
    status.cancelledIsolationActionId = isolate.id;
    wf.log.info('Cancelled an in-flight isolation before releasing', {
      machineActionId: isolate.id,
      status: cancelled.status,
    });
    return cancelled.status === 'Succeeded';
  }

  /** Step 4: exactly one Unisolate. Returns false when the machine turned out not to need one. */
  async function release(view: IsolationView, fresh: boolean): Promise<boolean> {
    const v = validated!;
    let current = view;
    for (let round = 0; round < MAX_SUBMIT_ROUNDS; round++) {
      if (round > 0 || !fresh) current = await inspect('re-checking before release');
      if (current.inFlightUnisolate) {
        adopt({ action: current.inFlightUnisolate, how: 'adopted-in-flight' });
        return true;
      }
      let isolated = isIsolated(current);
      if (current.inFlightIsolate) {
        isolated = (await cancelRacingIsolate(current.inFlightIsolate)) || isolated;
      }
      if (!isolated) return false;
      try {
        const submission = await defender(`POST unisolate for ${v.machineId}`, v.deadlineMs).submitRelease({
          machineId: v.machineId,
          comment: `${v.comment} ${legacyCorrelationTag}`,
          correlationTag: legacyCorrelationTag,
          notBefore: info.startTime.toISOString(),
        });
        adopt(submission);
        return true;
      } catch (err) {
        endOnActivityFailure(err, 'releasing');
        // ActiveRequestAlreadyExists with nothing in flight to adopt: look at the machine again.
        if (!(err instanceof wf.ActivityFailure && err.cause instanceof wf.ApplicationFailure)) throw err;
        status.lastError = { type: err.cause.type ?? 'Unknown', message: err.cause.message };
      }
    }
    end(
      'defender-error',
      ReleaseFailureType.DefenderRequestFailed,
      'Defender kept refusing the release as a duplicate',
    );
  }

  /**
   * Step 4, v2: exactly one Unisolate, one Defender call per activity. After an unknown outcome of the POST (5xx,
   * timeout, reset, malformed answer) the workflow first looks for the action this run created before posting again.
   */
  async function releaseV2(view: IsolationView, fresh: boolean): Promise<boolean> {
    const v = validated!;
    const giveUpAt = Date.now() + v.deadlineMs;
    let state: IsolationState = { ...view, ours: null };
    let look = !fresh;
    for (let backoffMs = 2_000; ; backoffMs = Math.min(backoffMs * 2, 120_000)) {
      if (look) state = await listState('re-checking before release');
      look = true;
      if (state.ours) {
        adopt({ action: state.ours, how: 'adopted-after-unknown-outcome' });
        return true;
      }
      if (state.inFlightUnisolate) {
        adopt({ action: state.inFlightUnisolate, how: 'adopted-in-flight' });
        return true;
      }
      let isolated = state.newestSucceeded?.type === 'Isolate';
      if (state.inFlightIsolate) {
        isolated = (await cancelRacingIsolate(state.inFlightIsolate)) || isolated;
      }
      if (!isolated) return false;
      try {
        const action = await defenderApi(v, `POST unisolate for ${v.machineId}`, v.deadlineMs, {
          retry: { nonRetryableErrorTypes: UNKNOWN_POST_OUTCOMES },
        }).postUnisolate({
          machineId: v.machineId,
          comment: `${v.comment} ${runCorrelationTag}`,
          lookFirstOnRetry: true,
        });
        adopt({ action, how: 'posted' });
        return true;
      } catch (err) {
        endOnActivityFailure(err, 'releasing');
        if (!(err instanceof wf.ActivityFailure && err.cause instanceof wf.ApplicationFailure)) throw err;
        // Unknown outcome, or ActiveRequestAlreadyExists: look at the machine again before anything else.
        status.lastError = { type: err.cause.type ?? 'Unknown', message: err.cause.message };
        if (err.cause.type === 'ActiveRequestAlreadyExists') continue;
        if (Date.now() + backoffMs > giveUpAt) {
          end('deadline-exceeded', ReleaseFailureType.ReleaseDeadlineExceeded, `releasing: ${err.cause.message}`);
        }
        await wf.sleep(backoffMs);
      }
    }
  }

  /** Step 5, v2: the tenant's watcher follows the action with batched list calls and signals its end. */
  async function confirmV2(): Promise<ActionOutcome> {
    const v = validated!;
    const action = current!;
    await watchMachineAction({
      taskQueue: info.taskQueue,
      ...(v.tenant ? { tenant: v.tenant } : {}),
      request: {
        actionId: action.id,
        machineId: v.machineId,
        createdAt: action.createdAt,
        subscriber: info.workflowId,
        pollIntervalMs: v.pollIntervalMs,
      },
    });
    // v3: the deadline timer is raced, not attached to the condition, so that a confirmed release ends without a
    // TimerCanceled event (the timer lapses with the workflow).
    const confirmed = v3
      ? await Promise.race([
          wf.condition(() => watcherOutcome !== undefined).then(() => true),
          wf.sleep(v.deadlineMs).then(() => watcherOutcome !== undefined),
        ])
      : await wf.condition(() => watcherOutcome !== undefined, v.deadlineMs);
    if (!confirmed) {
      // Nobody follows the action any more: cancel it so that it cannot release the machine unobserved later.
      await wf.CancellationScope.nonCancellable(async () => {
        const cancelled = await cancelAction(action.id, `Release deadline exceeded in ${info.workflowId}`).catch(
          () => null,
        );
        if (cancelled && status.machineAction) status.machineAction.status = cancelled.status;
      });
      end(
        'deadline-exceeded',
        ReleaseFailureType.ReleaseDeadlineExceeded,
        `machine action ${action.id} was not final within ${v.deadlineMs / 1000}s (last status ${status.machineAction?.status})`,
      );
    }
    if (status.machineAction) status.machineAction.status = watcherOutcome!.action.status;
    return watcherOutcome!;
  }

  /** Step 5: infrequent polling through activity retries, bounded by the deadline. */
  async function confirm(): Promise<MachineActionSummary> {
    const v = validated!;
    const action = status.machineAction!;
    const poll = wf.proxyActivities<DefenderActivities>({
      summary: `Poll machine action ${action.id} every ${v.pollIntervalMs / 1000}s until final`,
      startToCloseTimeout: '60s',
      scheduleToCloseTimeout: v.deadlineMs,
      retry: { initialInterval: v.pollIntervalMs, backoffCoefficient: 1, maximumInterval: v.pollIntervalMs },
    });
    try {
      const final = await poll.confirmMachineAction({
        actionId: action.id,
        notFoundGraceUntil: new Date(Date.now() + Math.max(NOT_FOUND_GRACE_MS, 2 * v.pollIntervalMs)).toISOString(),
      });
      action.status = final.status;
      return final;
    } catch (err) {
      if (deadlinePassed(err)) {
        // Nobody follows the action any more: cancel it so that it cannot release the machine unobserved later.
        await wf.CancellationScope.nonCancellable(async () => {
          const cancelled = await cancelAction(action.id, `Release deadline exceeded in ${info.workflowId}`).catch(
            () => null,
          );
          if (cancelled) action.status = cancelled.status;
        });
        end(
          'deadline-exceeded',
          ReleaseFailureType.ReleaseDeadlineExceeded,
          `machine action ${action.id} was not final within ${v.deadlineMs / 1000}s (last status ${action.status})`,
        );
      }
      endOnActivityFailure(err, 'confirming');
      throw err;
    }
  }

  // Decided in the first activation, before any command, so that replay always meets the marker at the same point.
  v3 = wf.patched(LEAN_HISTORY_PATCH);
  v2 = v3 || wf.patched(SHARED_BUDGET_PATCH);

  try {
    // 1. Validate, with the same schema the client used.
    try {
      validated = await validateReleaseRequest({ request });
    } catch (err) {
      // Local activity failures may arrive wrapped in an ActivityFailure or as the ApplicationFailure itself.
      const cause = err instanceof wf.ActivityFailure ? err.cause : err;
      if (cause instanceof wf.ApplicationFailure && cause.type === 'InvalidInput') {
        end('invalid-input', ReleaseFailureType.InvalidInput, cause.message, cause.details?.[0]);
      }
      throw err;
    }
    const v = validated;
    status.machineId = v.machineId;
    status.tenant = v.tenant;
    status.incidentId = v.incidentId;
    status.requestedBy = v.requestedBy;
    status.approval.mode = v.approval.kind;
    status.approval.approvers = v.approval.kind === 'required' ? v.approval.approvers : null;
    recordAudit(v);

    // 2. Check the machine.
    setState('checking');
    // A bulk release read the machine already (in batches); a v1 run never has a precheck.
    const view = v2 && v.precheck ? v.precheck : await inspect('checking the machine');
    status.computerDnsName = view.machine.computerDnsName;
    if (view.inFlightUnisolate) {
      // Someone's release is already under way: follow it rather than send a second one (no approval needed to watch).
      adopt({ action: view.inFlightUnisolate, how: 'adopted-in-flight' });
    } else {
      if (!isIsolated(view) && !view.inFlightIsolate) return complete('already-released');

      // 3. Approval, unless it was taken elsewhere.
      let waited = false;
      if (v.approval.kind === 'pre-approved') {
        status.approval.decision = {
          decision: 'approved',
          by: v.approval.approvedBy,
          at: new Date().toISOString(),
          comment: v.approval.reason,
          source: 'pre-approved',
        };
        wf.log.info('Release pre-approved', { by: v.approval.approvedBy });
      } else {
        status.approval.expiresAt = new Date(Date.now() + v.approval.timeoutMs).toISOString();
        setState('awaiting-approval');
        waited = true;
        const waitStarted = Date.now();
        const decided = await wf.condition(() => status.approval.decision !== null, v.approval.timeoutMs);
        approvalWait.record((Date.now() - waitStarted) / 1000, {
          decision: status.approval.decision?.decision ?? 'expired',
        });
        if (!decided) {
          end(
            'approval-expired',
            ReleaseFailureType.ApprovalExpired,
            `no approval within ${v.approval.timeoutMs / 1000}s`,
          );
        }
        const decision = status.approval.decision!;
        if (decision.decision === 'rejected') {
          end(
            'rejected',
            ReleaseFailureType.ReleaseRejected,
            `rejected by ${decision.by}: ${decision.comment ?? ''}`,
            decision,
          );
        }
      }

      // 4. Release: exactly one Unisolate action.
      setState('releasing');
      // After a wait for approval, the machine may have changed: look again before acting.
      const released = v2 ? await releaseV2(view, !waited) : await release(view, !waited);
      if (!released) return complete('already-released');
    }

    // 5. Confirm.
    setState('confirming');
    let laterIsolate: MachineActionSummary | null;
    let final: MachineActionSummary;
    if (v2) {
      ({ action: final, laterIsolate } = await confirmV2());
    } else {
      final = await confirm();
      laterIsolate = null;
    }
    const failed = FINAL_STATUS_FAILURES[final.status];
    if (failed) end(failed.state, failed.type, `machine action ${final.id} ended ${final.status}`, final);

    // 6. An Isolate that succeeded after our Unisolate leaves the device isolated (MS docs #5903).
    if (!v2) {
      const after = await inspect('verifying the release');
      if (isIsolated(after)) laterIsolate = after.newestSucceeded;
    }
    if (laterIsolate) {
      end(
        'reisolated',
        ReleaseFailureType.ReisolatedAfterRelease,
        `machine action ${laterIsolate.id} (Isolate) completed after the release; the device is isolated again`,
        laterIsolate,
      );
    }
    return complete('released');
  } catch (err) {
    if (wf.isCancellation(err)) {
      await wf.CancellationScope.nonCancellable(() => cleanUpAfterCancellation());
    }
    throw err;
  } finally {
    // Let an update that is being handled finish before the workflow closes.
    await wf.condition(wf.allHandlersFinished);
  }

  /** Temporal cancellation: a release action still pending at Defender is cancelled too, then the workflow ends. */
  async function cleanUpAfterCancellation(): Promise<void> {
    const previous = status.state;
    setState('cancelling');
    try {
      let actionId = status.machineAction?.id;
      if (!actionId && previous === 'releasing' && validated && v2) {
        // The POST may have reached Defender before the cancellation: find our action by its correlation tag.
        const state = await listState('cancelling');
        if (state.ours && (state.ours.status === 'Pending' || state.ours.status === 'InProgress'))
          actionId = state.ours.id;
      } else if (!actionId && previous === 'releasing' && validated) {
        const view = await inspect('cancelling');
        if (view.inFlightUnisolate?.requestorComment?.includes(legacyCorrelationTag))
          actionId = view.inFlightUnisolate.id;
      }
      const last = status.machineAction?.status;
      if (actionId && (last === undefined || last === 'Pending' || last === 'InProgress')) {
        const cancelled = await cancelAction(actionId, `Release cancelled in Temporal (${info.workflowId})`);
        if (status.machineAction) status.machineAction.status = cancelled.status;
        wf.log.info('Cancelled the release action at Defender', {
          machineActionId: actionId,
          status: cancelled.status,
        });
      }
    } catch (cleanupErr) {
      status.lastError = { type: 'CancellationCleanupFailed', message: String(cleanupErr) };
      wf.log.error('Could not cancel the Defender action after cancellation', { error: String(cleanupErr) });
    }
    setState('cancelled');
  }
}

/** Memo and search attributes, for requests started without them (e.g. from the stock `temporal` CLI). */
function recordAudit(v: ValidatedReleaseRequest): void {
  const info = wf.workflowInfo();
  const memo = {
    requestedBy: v.requestedBy,
    incidentId: v.incidentId,
    comment: v.comment,
    ...(v.tenant ? { tenant: v.tenant } : {}),
  };
  const current = info.memo ?? {};
  if (Object.entries(memo).some(([k, value]) => (current[k] ?? null) !== value)) wf.upsertMemo(memo);
  const pairs: SearchAttributeUpdatePair[] = [];
  if (info.typedSearchAttributes.get(DefenderMachineIdAttribute) !== v.machineId) {
    pairs.push({ key: DefenderMachineIdAttribute, value: v.machineId });
  }
  if (v.incidentId && info.typedSearchAttributes.get(IncidentIdAttribute) !== v.incidentId) {
    pairs.push({ key: IncidentIdAttribute, value: v.incidentId });
  }
  if (pairs.length > 0) wf.upsertSearchAttributes(pairs);
}
