import * as wf from '@temporalio/workflow';
import {
  isFinalStatus,
  parseActionFinalNotice,
  ReleaseFailureType,
  type ActionOutcome,
  type MachineActionSummary,
  type ReleaseState,
} from '../../contract/index.js';
import { defenderCalls, registrations, watcherMessages } from './activities.js';
import { cancelAction } from './cancel-action.js';
import { isIsolated } from './check.js';
import { LeftRunningTimer } from './left-running-timer.js';
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

/** The action a release follows, and whether the POST that created it registered it with the watcher already. */
export interface Followed {
  action: MachineActionSummary;
  watched: boolean;
}

/** Defender calls made once the deadline has passed are bounded by this, not by the (spent) deadline. */
const AFTER_DEADLINE_MS = 5 * 60_000;

/** Checks of nudges the watcher's record does not bear out are this far apart at least: a flood costs one per pause. */
const REFUTED_NUDGE_PAUSE_MS = 5_000;

/**
 * The watcher's nudge: noted only for the action this release follows, and believed only once the watcher's record
 * bears it out (`heardFromWatcher`), since anyone with client access can send it. While the POST is in flight, a
 * nudge for any action is noted too: the POST's activity registers the action before the release reads its answer,
 * so the watcher's nudge may come first; at worst a forged one costs a read of the record.
 */
export function noteFinalNudge(release: ReleaseTracker, notice: unknown): void {
  const actionId = parseActionFinalNotice(notice);
  if (actionId === null) return;
  const followed = release.status.machineAction?.id.toLowerCase();
  if (followed === actionId || (followed === undefined && release.status.state === 'releasing')) {
    release.finalNudges += 1;
  }
}

/**
 * Step 5: follow the action until Defender says it is final, within the deadline. The tenant's watcher follows every
 * waiting release with one list call per tick and signals the end, so history does not grow with the polls. The
 * release continues only when the action Succeeded; every other end is the release's end.
 */
export async function confirm(release: ReleaseTracker, { action, watched }: Followed): Promise<Confirmed> {
  release.setState('confirming');
  const deadlineAt = Date.now() + release.request.deadlineMs;
  if (!watched) await watch(release, action, deadlineAt);
  const heard = await heardFromWatcher(release, action, deadlineAt);
  const confirmed = heard ? { ...heard, verified: true } : await settleAtDeadline(release, action);
  release.noteActionStatus(confirmed.action.status);
  const ends = ENDS[confirmed.action.status];
  if (ends) {
    const { id, status } = confirmed.action;
    release.end(ends.state, ends.type, `machine action ${id} ended ${status}`, confirmed.action);
  }
  return confirmed;
}

/**
 * Registers the action with the tenant's watcher, within the deadline: a watcher that cannot take it (the server's
 * signal cap, an outage) does not hold the release, whose deadline then settles it by its own read of Defender.
 */
async function watch(release: ReleaseTracker, action: MachineActionSummary, deadlineAt: number): Promise<void> {
  const { request } = release;
  const info = wf.workflowInfo();
  const left = deadlineAt - Date.now();
  if (left <= 0) return;
  await registrations(left)
    .watchMachineAction({
      taskQueue: info.taskQueue,
      tenant: request.tenant,
      request: {
        actionId: action.id,
        machineId: request.machineId,
        createdAt: action.createdAt,
        subscriber: info.workflowId,
        pollIntervalMs: request.pollIntervalMs,
      },
    })
    .catch((err: unknown) => {
      if (wf.isCancellation(err)) throw err;
      wf.log.warn('The watcher did not take the action; the deadline settles the release', { error: String(err) });
    });
}

/**
 * Waits for the watcher's nudge and reads the outcome from the watcher's record (its memo, written only by the
 * watcher, from its Defender reads), never from the message. A nudge the record does not bear out registers the
 * action again (the watcher may have lost it) and is otherwise ignored. Null when the deadline passes first.
 */
async function heardFromWatcher(
  release: ReleaseTracker,
  action: MachineActionSummary,
  deadlineAt: number,
): Promise<ActionOutcome | null> {
  const { taskQueue } = wf.workflowInfo();
  const left = deadlineAt - Date.now();
  if (left <= 0) return null;
  const deadline = new LeftRunningTimer(left, 'release deadline');
  for (;;) {
    if (!(await deadline.waitFor(() => release.finalNudges > 0))) return null;
    release.finalNudges = 0;
    const { tenant } = release.request;
    const outcome = await watcherMessages.readWatcherRecord({ taskQueue, tenant, actionId: action.id });
    if (outcome) return outcome;
    wf.log.warn('A machineActionFinal nudge the watcher has no record of: registering again', { actionId: action.id });
    await watch(release, action, deadlineAt);
    await wf.sleep(Math.max(Math.min(REFUTED_NUDGE_PAUSE_MS, deadlineAt - Date.now()), 1));
  }
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
