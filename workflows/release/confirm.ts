import * as wf from '@temporalio/workflow';
import {
  isFinalStatus,
  parseActionFinal,
  ReleaseFailureType,
  type ActionOutcome,
  type MachineActionSummary,
  type ReleaseState,
} from '../../contract/index.js';
import { defenderCalls, watcherMessages } from './activities.js';
import { cancelAction } from './cancel-action.js';
import { isIsolated } from './check.js';
import type { ReleaseTracker } from './release-tracker.js';

/** The followed action's end, with what the release could read about isolations after it. */
export interface Confirmed extends ActionOutcome {
  /** False when Defender's isolation history could not be read after the action ended. */
  verified: boolean;
}

const ENDS: Partial<Record<string, { state: ReleaseState; type: ReleaseFailureType }>> = {
  Failed: { state: 'action-failed', type: ReleaseFailureType.MachineActionFailed },
  TimeOut: { state: 'action-timed-out', type: ReleaseFailureType.MachineActionTimedOut },
  Cancelled: { state: 'action-cancelled', type: ReleaseFailureType.MachineActionCancelled },
};

/** Defender calls made once the deadline has passed are bounded by this, not by the (spent) deadline. */
const AFTER_DEADLINE_MS = 5 * 60_000;

/** The watcher's signal, held to its shape: taken only for the action this release follows (a stray one is ignored). */
export function acceptWatcherOutcome(release: ReleaseTracker, input: unknown): void {
  const outcome = parseActionFinal(input);
  if (outcome && release.status.machineAction?.id.toLowerCase() === outcome.action.id.toLowerCase()) {
    release.watcherOutcome ??= outcome;
  }
}

/**
 * Step 5: follow the action until Defender says it is final, within the deadline. The tenant's watcher follows every
 * waiting release with one list call per tick and signals the end, so history does not grow with the polls. The
 * release continues only when the action Succeeded; every other end is the release's end.
 */
export async function confirm(release: ReleaseTracker, action: MachineActionSummary): Promise<Confirmed> {
  release.setState('confirming');
  const { request } = release;
  await watch(release, action);
  const heard = await wf.condition(() => release.watcherOutcome !== undefined, request.deadlineMs, {
    summary: 'release deadline',
  });
  const confirmed = heard ? { ...release.watcherOutcome!, verified: true } : await settleAtDeadline(release, action);
  release.noteActionStatus(confirmed.action.status);
  const ends = ENDS[confirmed.action.status];
  if (ends) {
    const { id, status } = confirmed.action;
    release.end(ends.state, ends.type, `machine action ${id} ended ${status}`, confirmed.action);
  }
  return confirmed;
}

async function watch(release: ReleaseTracker, action: MachineActionSummary): Promise<void> {
  const { request } = release;
  const info = wf.workflowInfo();
  await watcherMessages.watchMachineAction({
    taskQueue: info.taskQueue,
    tenant: request.tenant,
    request: {
      actionId: action.id,
      machineId: request.machineId,
      createdAt: action.createdAt,
      subscriber: info.workflowId,
      pollIntervalMs: request.pollIntervalMs,
    },
  });
}

/**
 * The deadline passed without word from the watcher. Nobody will follow the action any more, so it is cancelled (it
 * cannot release the machine unobserved later); Defender's answer tells whether it had ended meanwhile, and then the
 * release ends as Defender says, not as the silence suggests.
 */
async function settleAtDeadline(release: ReleaseTracker, action: MachineActionSummary): Promise<Confirmed> {
  const { workflowId } = wf.workflowInfo();
  const comment = `Release deadline exceeded in ${workflowId}`;
  const answer = await wf.CancellationScope.nonCancellable(() =>
    cancelAction(release, { actionId: action.id, comment, withinMs: AFTER_DEADLINE_MS }).catch(() => null),
  );
  if (answer) release.noteActionStatus(answer.action.status);
  if (answer && !answer.cancelledNow && isFinalStatus(answer.action.status)) {
    return { action: answer.action, ...(await readLaterIsolate(release)) };
  }
  const last = release.status.machineAction?.status ?? action.status;
  const seconds = release.request.deadlineMs / 1000;
  release.end(
    'deadline-exceeded',
    ReleaseFailureType.ReleaseDeadlineExceeded,
    `machine action ${action.id} was not final within ${seconds}s (last status ${last})`,
  );
}

/** The release's own read of the machine's isolation history, for the check the watcher would have made. */
async function readLaterIsolate(release: ReleaseTracker): Promise<Omit<Confirmed, 'action'>> {
  const { request } = release;
  try {
    const state = await defenderCalls(request, {
      summary: `List isolation actions of ${request.machineId} after the release`,
      withinMs: AFTER_DEADLINE_MS,
    }).listIsolationActions({ machineId: request.machineId });
    return { laterIsolate: isIsolated(state) ? state.newestSucceeded : null, verified: true };
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    const message = `the isolation history could not be read after the release: ${String(err)}`;
    release.status.lastError = { type: 'VerificationUnavailable', message };
    wf.log.warn('Release not verified', { message });
    return { laterIsolate: null, verified: false };
  }
}
