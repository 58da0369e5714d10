import * as wf from '@temporalio/workflow';
import { isFinalStatus } from '../../contract/index.js';
import { cancelAction } from './cancel-action.js';
import { listIsolation } from './check.js';
import type { ReleaseTracker } from './release-tracker.js';

/**
 * Temporal cancellation of the release: a release action still pending at Defender is cancelled too (through the
 * tenant's API queue), so that it cannot release the machine after the workflow said it would not. When the POST may
 * have reached Defender unseen, the action is found by the release's correlation tag.
 */
export async function cancelAtDefender(release: ReleaseTracker): Promise<void> {
  const previous = release.status.state;
  release.setState('cancelling');
  try {
    const actionId = await pendingAction(release, previous);
    if (actionId) {
      const { workflowId } = wf.workflowInfo();
      const comment = `Release cancelled in Temporal (${workflowId})`;
      const { action } = await cancelAction(release, { actionId, comment });
      release.noteActionStatus(action.status);
      wf.log.info('Cancelled the release action at Defender', { machineActionId: actionId, status: action.status });
    }
  } catch (err) {
    release.status.lastError = { type: 'CancellationCleanupFailed', message: String(err) };
    wf.log.error('Could not cancel the Defender action after cancellation', { error: String(err) });
  }
  release.setState('cancelled');
}

async function pendingAction(release: ReleaseTracker, previous: string): Promise<string | undefined> {
  const followed = release.status.machineAction;
  if (followed) return isFinalStatus(followed.status) ? undefined : followed.id;
  if (previous !== 'releasing' || !release.validated) return undefined;
  const { ours } = await listIsolation(release, 'cancelling');
  return ours && !isFinalStatus(ours.status) ? ours.id : undefined;
}
