import * as wf from '@temporalio/workflow';
import {
  correlationTag,
  DefenderFailureType,
  ReleaseFailureType,
  UNKNOWN_POST_OUTCOMES,
  type IsolationState,
  type MachineCheck,
} from '../../contract/index.js';
import { defenderCalls } from './activities.js';
import { cancelAction } from './cancel-action.js';
import { isIsolated, listIsolation } from './check.js';
import type { Followed } from './confirm.js';
import { endOnDefenderFailure, failureType } from './defender-failures.js';
import type { ReleaseTracker } from './release-tracker.js';

const FIRST_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 120_000;

/**
 * Step 4: exactly one Unisolate. Before every POST but a first one right after a fresh check, the machine's actions are
 * listed: a Unisolate carrying this run's correlation tag is ours (an earlier POST whose outcome was unknown reached
 * Defender), one without it is someone's release in flight; either is followed, never posted twice. An Isolate in
 * flight is cancelled first (MS docs #5903). Returns null when the machine turned out not to be isolated any more.
 */
export async function submitUnisolate(
  release: ReleaseTracker,
  check: MachineCheck,
  fresh: boolean,
): Promise<Followed | null> {
  release.setState('releasing');
  const giveUpAt = Date.now() + release.request.deadlineMs;
  let state: IsolationState = { ...check, ours: null };
  let refusedAsDuplicate = false;
  for (let backoffMs = FIRST_BACKOFF_MS, look = !fresh; ; backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)) {
    if (look) state = await listIsolation(release, 're-checking before release');
    look = true;
    const existing = adoptExisting(release, state);
    if (existing) return existing;
    if (!(await stillIsolated(release, state))) return null;
    const posted = await post(release);
    if (typeof posted !== 'string') return posted;
    // Defender says a release is in progress: look at once (the list may lag behind it; then wait like below).
    if (posted === 'already-in-progress' && !refusedAsDuplicate) {
      refusedAsDuplicate = true;
      continue;
    }
    if (Date.now() + backoffMs > giveUpAt) {
      const message = `releasing: ${release.status.lastError?.message ?? 'Defender did not answer'}`;
      release.end('deadline-exceeded', ReleaseFailureType.ReleaseDeadlineExceeded, message);
    }
    await wf.sleep(backoffMs, { summary: 'look for the release action before posting again' });
  }
}

/** An action to follow instead of posting: ours from an earlier attempt, or someone's release in flight. */
function adoptExisting(release: ReleaseTracker, state: IsolationState): Followed | null {
  if (state.ours) {
    release.follow(state.ours, 'adopted-after-unknown-outcome');
    return { action: state.ours, watched: false };
  }
  if (state.inFlightUnisolate) {
    release.follow(state.inFlightUnisolate, 'adopted-in-flight');
    return { action: state.inFlightUnisolate, watched: false };
  }
  return null;
}

/** Whether the device still needs a release, once an Isolate racing it (still in flight) is cancelled. */
async function stillIsolated(release: ReleaseTracker, state: IsolationState): Promise<boolean> {
  const isolate = state.inFlightIsolate;
  if (!isolate) return isIsolated(state);
  const { workflowId } = wf.workflowInfo();
  const { action } = await cancelAction(release, {
    actionId: isolate.id,
    comment: `Cancelled before release from isolation by ${workflowId}`,
  });
  release.status.cancelledIsolationActionId = isolate.id;
  wf.log.info('Cancelled an in-flight isolation before releasing', {
    machineActionId: isolate.id,
    status: action.status,
  });
  // It had already succeeded: the machine is isolated after all.
  return action.status === 'Succeeded' || isIsolated(state);
}

/**
 * One POST, whose activity also registers the action with the tenant's watcher; an outcome Defender did not make known
 * is returned as such, for the caller to look before posting again.
 */
async function post(release: ReleaseTracker): Promise<Followed | 'unknown' | 'already-in-progress'> {
  const { machineId, comment, tenant, pollIntervalMs } = release.request;
  const info = wf.workflowInfo();
  const tag = correlationTag(info.workflowId, info.runId);
  try {
    const { action, watched } = await defenderCalls(release.request, {
      summary: `POST unisolate for ${machineId}`,
      nonRetryable: UNKNOWN_POST_OUTCOMES,
    }).postUnisolate({
      machineId,
      comment: `${comment} ${tag}`,
      watch: { taskQueue: info.taskQueue, tenant, subscriber: info.workflowId, pollIntervalMs },
    });
    if (action.type !== 'Unisolate' || action.machineId?.toLowerCase() !== machineId) {
      // An answer about another machine, or another kind of action, says nothing of ours: look before posting again.
      wf.log.warn('The POST was answered with an action that is not this release', { machineActionId: action.id });
      return 'unknown';
    }
    // Defender may answer a duplicate with the release already pending (201, not 400): only our tag makes it ours.
    release.follow(action, (action.requestorComment ?? '').includes(tag) ? 'posted' : 'adopted-in-flight');
    return { action, watched };
  } catch (err) {
    endOnDefenderFailure(release, err, 'releasing');
    const type = failureType(err);
    if (!type) throw err;
    release.status.lastError = { type, message: (err as wf.ActivityFailure).cause!.message };
    return type === DefenderFailureType.ActiveRequestAlreadyExists ? 'already-in-progress' : 'unknown';
  }
}
