import type { CancelOutcome } from '../../contract/index.js';
import { defenderCalls } from './activities.js';
import type { ReleaseTracker } from './release-tracker.js';

/**
 * Cancels a machine action at Defender (through the tenant's API queue, like every call); an action that had already
 * ended is returned as Defender says it ended.
 */
export function cancelAction(
  release: ReleaseTracker,
  cancel: { actionId: string; comment: string; withinMs?: number },
): Promise<CancelOutcome> {
  const { actionId, comment, withinMs } = cancel;
  const summary = `Cancel machine action ${actionId}`;
  return defenderCalls(release.request, { summary, ...(withinMs ? { withinMs } : {}) }).cancelMachineAction({
    actionId,
    comment,
  });
}
