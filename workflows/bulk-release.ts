import * as wf from '@temporalio/workflow';
import type { BulkApiActivities, BulkLocalActivities } from '../activities/bulk-activities.js';
import type { IsolationState, IsolationView, MachineSummary } from '../activities/types.js';
import {
  bulkApproveUpdate,
  bulkRejectUpdate,
  MAX_BULK_TARGETS,
  progressQuery,
  releaseOutcomeSignal,
  type BulkProgress,
  type BulkReleaseRequest,
  type BulkReport,
  type BulkState,
  type MachineOutcome,
  type ValidatedBulkRequest,
} from './bulk-definitions.js';
import { checkApprover, refuseApproval } from './approval-rules.js';
import { ReleaseFailureType, type ApprovalDecision, type ReleaseRequest } from './definitions.js';
import { outcomeOfFailure } from './machine-outcome.js';
import { releaseMachine } from './release-machine.js';
import { apiTaskQueue } from './watcher-definitions.js';

const IDS_PER_CALL = 25;
const CHUNKS_IN_PARALLEL = 8;
const PAGE_SIZE = 2_000;
/** Children started per run before the batch continues as new, keeping each run's history small. */
const CHILDREN_PER_RUN = 500;
/**
 * v2 of the batch: it continues as new without waiting for its running releases (one action on an offline device
 * would hold the whole batch): they are started with parent close policy ABANDON, report their outcome by signal
 * (`reportTo`), and the next run counts them against the concurrency until they do.
 */
const SLIDING_WINDOW_PATCH = 'bulk-sliding-window';
/**
 * v3: a run waiting on earlier runs' releases checks on them every 10 poll intervals (10 s to 10 min), since one that
 * was terminated or timed out never reports and would hold the batch until it is cancelled.
 */
const SWEEP_UNREPORTED_PATCH = 'bulk-sweep-unreported';
const SWEEP_EVERY_POLLS = 10;
/**
 * v4: cancelling the batch ends a run's wait on earlier runs' releases too. That wait is on their signals, which a
 * cancel does not touch, so a run whose own releases had all ended ignored the cancel until the others reported.
 */
const CANCEL_ENDS_WAIT_PATCH = 'bulk-cancel-ends-wait-on-earlier-runs';

const local = wf.proxyLocalActivities<BulkLocalActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/** Carried across continue-as-new. */
export interface BulkResume {
  validated: ValidatedBulkRequest;
  targets: string[];
  digest: string;
  decision: ApprovalDecision;
  outcomes: Record<string, MachineOutcome>;
  nextIndex: number;
  run: number;
  /** Releases started by earlier runs that have not reported their outcome yet. */
  inFlight?: string[];
}

type Check = { machine: MachineSummary | null; state: IsolationState | null };

/**
 * Releases many machines under one four-eyes approval: resolve the targets (explicit ids or a selector), read them in
 * batches (two list calls per 25 machines), approve once, then release each still-isolated machine with a child
 * `releaseMachine` (pre-approved by the batch decision, given what the batch read), with bounded concurrency.
 */
export async function bulkRelease(input: BulkReleaseRequest & { resume?: BulkResume }): Promise<BulkReport> {
  const info = wf.workflowInfo();
  // Only a run continued from an earlier one may skip validation and approval: a client that passes `resume` to a new
  // batch has it refused by validation (an unknown field) like any other.
  const resume = info.continuedFromExecutionRunId ? input.resume : undefined;
  let state: BulkState = resume ? 'releasing' : 'validating';
  let v: ValidatedBulkRequest | undefined = resume?.validated;
  let targets: string[] = resume?.targets ?? [];
  let digest: string | null = resume?.digest ?? null;
  let decision: ApprovalDecision | null = resume?.decision ?? null;
  let expiresAt: string | null = null;
  const outcomes: Record<string, MachineOutcome> = { ...(resume?.outcomes ?? {}) };
  const run = resume?.run ?? 1;
  /** Releases started and not ended, by this run or (reporting by signal) by earlier ones. */
  const open = new Set<string>(resume?.inFlight ?? []);
  /** Earlier runs' releases this run waits on: settled by their outcome signal. */
  const reported = new Map<string, () => void>();
  /** Earlier runs' releases this run still waits on. */
  const unreported = () => [...reported.keys()].filter((id) => open.has(id));
  let starting = 0;

  const progress = (): BulkProgress => {
    const counts: Record<string, number> = {};
    const failed: { machineId: string; type: string }[] = [];
    for (const [machineId, outcome] of Object.entries(outcomes)) {
      const key = outcome.startsWith('failed:') ? 'failed' : outcome;
      counts[key] = (counts[key] ?? 0) + 1;
      if (outcome.startsWith('failed:')) failed.push({ machineId, type: outcome.slice('failed:'.length) });
    }
    const done = Object.keys(outcomes).length;
    if (targets.length > done) counts.pending = targets.length - done;
    return {
      workflowId: info.workflowId,
      state,
      dryRun: v?.dryRun ?? false,
      total: targets.length,
      targetDigest: digest,
      counts,
      failed,
      approval: { mode: v?.approval.kind ?? null, expiresAt, decision },
      run,
    };
  };

  wf.setHandler(progressQuery, progress);
  /** An earlier run's release ended: by its own signal, or (terminated, timed out) as the sweep found it. */
  const settle = (machineId: string, outcome: MachineOutcome) => {
    if (!open.has(machineId)) return; // a release that already ended, or not one of ours
    outcomes[machineId] ??= outcome;
    open.delete(machineId);
    reported.get(machineId)?.();
  };
  wf.setHandler(releaseOutcomeSignal, ({ machineId, outcome }) => settle(machineId, outcome));
  const checkDecider = (approver: unknown, verb: string) => {
    if (state !== 'awaiting-approval' || !v || v.approval.kind !== 'required' || decision) {
      throw refuseApproval(`batch ${info.workflowId} is not awaiting approval (state: ${state}); cannot ${verb}`);
    }
    checkApprover({ approver, requestedBy: v.requestedBy, approvers: v.approval.approvers, subject: 'batch', verb });
  };
  wf.setHandler(
    bulkApproveUpdate,
    ({ approver, comment }) => {
      decision = {
        decision: 'approved',
        by: approver.trim(),
        at: new Date().toISOString(),
        comment: comment ?? null,
        source: 'update',
      };
      return progress();
    },
    {
      validator: (input) => {
        checkDecider(input?.approver, 'approve');
        // A decision taken on another batch's target list cannot be replayed onto this one.
        if (input.targetDigest !== undefined && input.targetDigest !== digest) {
          throw refuseApproval(
            `targetDigest does not match this batch (${digest ?? 'unresolved'}): the approval was for other targets`,
          );
        }
      },
    },
  );
  wf.setHandler(
    bulkRejectUpdate,
    ({ approver, reason }) => {
      decision = {
        decision: 'rejected',
        by: approver.trim(),
        at: new Date().toISOString(),
        comment: reason,
        source: 'update',
      };
      return progress();
    },
    {
      validator: (input) => {
        checkDecider(input?.approver, 'reject');
        if (typeof input?.reason !== 'string' || input.reason.trim() === '')
          throw refuseApproval('reject needs a reason');
      },
    },
  );

  const end = (next: BulkState, type: string, message: string): never => {
    state = next;
    throw wf.ApplicationFailure.create({ message, type, nonRetryable: true });
  };

  // The tenant is known once the request is validated; proxies only describe calls, so building one per use is cheap.
  const apiOf = (tenant: string | null) =>
    wf.proxyActivities<BulkApiActivities>({
      taskQueue: apiTaskQueue(info.taskQueue, tenant),
      startToCloseTimeout: '60s',
      retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m' },
    });

  /** Two list calls per 25 machines: which exist, and their isolation actions. */
  async function check(ids: string[]): Promise<Map<string, Check>> {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) chunks.push(ids.slice(i, i + IDS_PER_CALL));
    const result = new Map<string, Check>();
    for (let i = 0; i < chunks.length; i += CHUNKS_IN_PARALLEL) {
      await Promise.all(
        chunks.slice(i, i + CHUNKS_IN_PARALLEL).map(async (chunk) => {
          const api = apiOf(v!.tenant);
          const [machines, states] = await Promise.all([
            api.lookupMachines({ machineIds: chunk }),
            api.isolationStates({ machineIds: chunk }),
          ]);
          for (const id of chunk) {
            result.set(id, { machine: machines.find((m) => m.id === id) ?? null, state: states[id] ?? null });
          }
        }),
      );
    }
    return result;
  }

  const isolated = (c: Check) => c.state?.newestSucceeded?.type === 'Isolate';
  const needsRelease = (c: Check) =>
    c.machine !== null && (isolated(c) || c.state?.inFlightIsolate != null || c.state?.inFlightUnisolate != null);

  try {
    let checks: Map<string, Check> | undefined;
    if (!resume) {
      try {
        v = await local.validateBulkRequest({ request: input });
      } catch (err) {
        const cause = err instanceof wf.ActivityFailure ? err.cause : err;
        if (cause instanceof wf.ApplicationFailure && cause.type === 'InvalidInput') {
          end('invalid-input', ReleaseFailureType.InvalidInput, cause.message);
        }
        throw err;
      }

      state = 'resolving';
      const candidates = v.machineIds ?? (await resolveSelector(v));
      if (candidates.length > MAX_BULK_TARGETS) {
        end(
          'invalid-input',
          ReleaseFailureType.InvalidInput,
          `selector matched ${candidates.length} machines, more than ${MAX_BULK_TARGETS}`,
        );
      }
      state = 'checking';
      checks = await check(candidates);
      targets = v.machineIds
        ? candidates
        : candidates.filter((id) => {
            const c = checks!.get(id)!;
            if (!c.machine || !isolated(c)) return false;
            const since = Date.parse(c.state!.newestSucceeded!.lastUpdateAt ?? c.state!.newestSucceeded!.createdAt);
            return (
              v!.selector!.isolatedLongerThanMs === null || since <= Date.now() - v!.selector!.isolatedLongerThanMs
            );
          });
      digest = await local.digestTargets({ machineIds: targets });
      wf.log.info('Bulk release targets resolved', { count: targets.length, digest });

      if (v.dryRun) {
        for (const id of targets) {
          const c = checks.get(id)!;
          outcomes[id] = !c.machine ? 'not-found' : needsRelease(c) ? 'would-release' : 'already-released';
        }
        state = 'dry-run';
        return report();
      }

      if (v.approval.kind === 'pre-approved') {
        decision = {
          decision: 'approved',
          by: v.approval.approvedBy,
          at: new Date().toISOString(),
          comment: v.approval.reason,
          source: 'pre-approved',
        };
      } else {
        state = 'awaiting-approval';
        expiresAt = new Date(Date.now() + v.approval.timeoutMs).toISOString();
        if (!(await wf.condition(() => decision !== null, v.approval.timeoutMs))) {
          end(
            'approval-expired',
            ReleaseFailureType.ApprovalExpired,
            `no approval within ${v.approval.timeoutMs / 1000}s`,
          );
        }
        if (decision!.decision === 'rejected') {
          end(
            'rejected',
            ReleaseFailureType.ReleaseRejected,
            `rejected by ${decision!.by}: ${decision!.comment ?? ''}`,
          );
        }
        // The machines may have changed while the batch waited: read them again, chunk by chunk, before acting.
        checks = undefined;
      }
    }

    state = 'releasing';
    const nextIndex = await releaseTargets(resume?.nextIndex ?? 0, checks);
    if (nextIndex < targets.length) {
      await wf.condition(wf.allHandlersFinished);
      await wf.continueAsNew<typeof bulkRelease>({
        ...input,
        resume: {
          validated: v!,
          targets,
          digest: digest!,
          decision: decision!,
          outcomes,
          nextIndex,
          run: run + 1,
          ...(open.size > 0 ? { inFlight: [...open] } : {}),
        },
      });
    }
    state = 'completed';
    return report();
  } catch (err) {
    if (wf.isCancellation(err)) {
      state = 'cancelled';
      // This run's children are cancelled with it; earlier runs' releases are not its children any more.
      await wf.CancellationScope.nonCancellable(() =>
        Promise.all(
          unreported().map(
            (id) =>
              wf
                .getExternalWorkflowHandle(`release-${id}`)
                .cancel()
                .catch(() => undefined), // ended meanwhile
          ),
        ),
      );
      for (const id of targets) outcomes[id] ??= 'cancelled';
    }
    throw err;
  }

  function report(): BulkReport {
    return {
      workflowId: info.workflowId,
      dryRun: v!.dryRun,
      total: targets.length,
      targetDigest: digest!,
      ...(decision?.decision === 'approved' ? { approvedBy: decision.by } : {}),
      counts: progress().counts,
      outcomes,
      completedAt: new Date().toISOString(),
    };
  }

  async function resolveSelector(valid: ValidatedBulkRequest): Promise<string[]> {
    const s = valid.selector!;
    const ids = new Set<string>();
    for (let skip = 0; ; skip += PAGE_SIZE) {
      const page =
        s.machineTag || s.deviceGroup
          ? await apiOf(v!.tenant).listMachinesPage({
              machineTag: s.machineTag,
              deviceGroup: s.deviceGroup,
              skip,
              pageSize: PAGE_SIZE,
            })
          : await apiOf(v!.tenant).listIsolatedCandidatesPage({
              before: new Date(Date.now() - s.isolatedLongerThanMs!).toISOString(),
              skip,
              pageSize: PAGE_SIZE,
            });
      page.machineIds.forEach((id) => ids.add(id));
      if (!page.pageFull || ids.size > MAX_BULK_TARGETS) break;
    }
    return [...ids].sort();
  }

  /** Starts children with bounded concurrency; returns where the next run should continue. */
  async function releaseTargets(from: number, known: Map<string, Check> | undefined): Promise<number> {
    const valid = v!;
    const slidingWindow = wf.patched(SLIDING_WINDOW_PATCH);
    const running = new Set<Promise<void>>();
    // Nothing of this run has started yet: what is open are earlier runs' releases that have not reported.
    const waitsOnEarlierRuns = open.size > 0;
    if (waitsOnEarlierRuns) {
      const cancelled = batchCancelled();
      for (const id of open) {
        const report = new Promise<void>((resolve) => reported.set(id, resolve));
        const settled: Promise<void> = Promise.race([report, cancelled]).finally(() => running.delete(settled));
        // A cancel is met where the run awaits its releases; a wait it rejects while the run awaits another thing
        // (a check) is not a second, unhandled failure.
        settled.catch(() => undefined);
        running.add(settled);
      }
    }
    const sweep = waitsOnEarlierRuns && wf.patched(SWEEP_UNREPORTED_PATCH) ? new wf.CancellationScope() : undefined;
    const swept = sweep?.run(sweepUnreported);
    let started = 0;
    let index = from;
    while (index < targets.length) {
      if (started >= CHILDREN_PER_RUN || wf.workflowInfo().continueAsNewSuggested) break;
      const chunk = targets.slice(index, index + IDS_PER_CALL).filter((id) => outcomes[id] === undefined);
      index += IDS_PER_CALL;
      const checks = known ?? (await check(chunk));
      for (const machineId of chunk) {
        const c = checks.get(machineId)!;
        if (!c.machine) {
          outcomes[machineId] = 'not-found';
          continue;
        }
        if (!needsRelease(c)) {
          outcomes[machineId] = 'already-released';
          continue;
        }
        while (running.size >= valid.concurrency) await Promise.race(running);
        open.add(machineId);
        const child = startChild(machineId, c, slidingWindow).finally(() => {
          running.delete(child);
          open.delete(machineId);
        });
        running.add(child);
        started += 1;
      }
    }
    // The next run takes over the releases still running (they report by signal); the last run waits for them all.
    if (!slidingWindow || index >= targets.length) await Promise.all(running);
    else await wf.condition(() => starting === 0);
    sweep?.cancel();
    await swept;
    return Math.min(index, targets.length);
  }

  /** Rejects once the batch is cancelled (from v4 on; a run of an earlier version replays as it ran: waiting on). */
  function batchCancelled(): Promise<never> {
    return new Promise((_, reject) => {
      wf.CancellationScope.current().cancelRequested.catch((err: unknown) => {
        if (wf.patched(CANCEL_ENDS_WAIT_PATCH)) reject(err);
      });
    });
  }

  /** Settles the earlier runs' releases that ended without reporting; returns once none is left to wait on. */
  async function sweepUnreported(): Promise<void> {
    const intervalMs = Math.min(Math.max(SWEEP_EVERY_POLLS * (v!.pollIntervalMs ?? 30_000), 10_000), 600_000);
    try {
      for (;;) {
        await wf.sleep(intervalMs);
        const waiting = unreported();
        if (waiting.length === 0) return;
        try {
          const ended = await local.findUnreportedReleases({ batchWorkflowId: info.workflowId, machineIds: waiting });
          for (const { machineId, outcome } of ended) {
            wf.log.warn('Release ended without reporting to its batch', { machineId, outcome });
            settle(machineId, outcome);
          }
        } catch (err) {
          if (wf.isCancellation(err)) throw err;
          // Only a lookup failed: the releases are waited on as before, and looked up again next time.
          wf.log.warn('Could not look up the releases that have not reported', { error: String(err) });
        }
      }
    } catch (err) {
      // Cancelled with the run's wait (or the batch): nothing was left half done.
      if (!wf.isCancellation(err)) throw err;
    }
  }

  /** Counts children whose start the server has not confirmed: the run must not continue as new before it does. */
  async function startAndCount<T>(start: () => Promise<T>): Promise<T> {
    starting += 1;
    try {
      return await start();
    } finally {
      starting -= 1;
    }
  }

  async function startChild(machineId: string, c: Check, slidingWindow: boolean): Promise<void> {
    const valid = v!;
    const d = decision!;
    const view: Omit<IsolationView, 'machine'> = c.state!;
    const request: ReleaseRequest = {
      machineId,
      comment: valid.comment,
      requestedBy: valid.requestedBy,
      ...(valid.incidentId ? { incidentId: valid.incidentId } : {}),
      approval: {
        preApprovedBy: d.by,
        reason: `bulk release ${info.workflowId}: approved ${d.at} (${targets.length} machines, targets sha256 ${digest!.slice(0, 16)}…)`,
      },
      pollInterval: valid.pollInterval,
      deadline: valid.deadline,
      ...(valid.tenant ? { tenant: valid.tenant } : {}),
      ...(slidingWindow ? { reportTo: info.workflowId } : {}),
      precheck: {
        computerDnsName: c.machine!.computerDnsName,
        newestSucceeded: view.newestSucceeded,
        inFlightUnisolate: view.inFlightUnisolate,
        inFlightIsolate: view.inFlightIsolate,
      },
    };
    try {
      const handle = await startAndCount(() =>
        wf.startChild(releaseMachine, {
          workflowId: `release-${machineId}`,
          args: [request],
          ...(slidingWindow ? { parentClosePolicy: wf.ParentClosePolicy.ABANDON } : {}),
          staticSummary: `Release ${machineId.slice(0, 8)}… (${c.machine!.computerDnsName ?? 'unknown host'}) in bulk release ${info.workflowId}`,
        }),
      );
      const result = await handle.result();
      outcomes[machineId] = result.outcome;
    } catch (err) {
      if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError') {
        outcomes[machineId] = 'skipped-running';
      } else if (wf.isCancellation(err)) {
        outcomes[machineId] = 'cancelled';
        throw err;
      } else if (err instanceof wf.ChildWorkflowFailure) {
        outcomes[machineId] = outcomeOfFailure(err.cause) ?? `failed:${err.cause?.name ?? 'Unknown'}`;
      } else {
        throw err;
      }
    }
  }
}
