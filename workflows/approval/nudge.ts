import * as wf from '@temporalio/workflow';
import {
  NON_RETRYABLE_NUDGE_FAILURES,
  nudgeTaskQueue,
  type NudgeChannel,
  type NudgeRequest,
} from '../../contract/index.js';
import type { NudgeActivities } from '../../activities/nudge/index.js';

/** What a nudge says, without its channel: the same evidence goes to every channel. */
export type NudgeEvidence = Omit<NudgeRequest, 'channel'>;

/** Stops the nudges still being tried: the decision arrived, nobody needs nudging any more. */
export type StopNudges = () => void;

/**
 * Nudges the approvers once, as the release or batch enters awaiting-approval: one activity per channel on the nudge
 * task queue (its own rate budget), started and not awaited, so that a slow or failing webhook never delays or fails
 * the release. Temporal retries each until the approval expires. No channel: no command at all, so a worker without
 * nudges writes the histories it always wrote.
 */
export function nudgeApprovers(
  channels: readonly NudgeChannel[] | undefined,
  evidence: NudgeEvidence,
  expiresInMs: number,
): StopNudges {
  if (!channels || channels.length === 0) return () => undefined;
  // A scope of their own: the decision cancels the nudges and nothing else.
  const scope = new wf.CancellationScope();
  const nudges = wf.proxyActivities<NudgeActivities>({
    taskQueue: nudgeTaskQueue(wf.workflowInfo().taskQueue),
    summary: 'Nudge the approvers',
    // A nudge after the approval expired would ask for a decision nobody can take.
    scheduleToCloseTimeout: expiresInMs,
    startToCloseTimeout: '30s',
    // TRY_CANCEL: nothing waits for the cancellation, and a nudge still being retried when the decision arrives stops
    // (ABANDON would keep posting "awaits approval" after it was approved).
    cancellationType: wf.ActivityCancellationType.TRY_CANCEL,
    retry: {
      initialInterval: '5s',
      backoffCoefficient: 2,
      maximumInterval: '5m',
      nonRetryableErrorTypes: [...NON_RETRYABLE_NUDGE_FAILURES],
    },
  });
  for (const channel of channels) {
    scope
      .run(() => nudges.postNudge({ ...evidence, channel }))
      .catch((err: unknown) => {
        // Not the release's failure: it goes on, and the page still lists it.
        if (!wf.isCancellation(err)) wf.log.warn('Nudge not delivered', { channel, error: failureText(err) });
      });
  }
  return () => scope.cancel();
}

/** The failure's type and message (the activity's, which never holds a webhook URL). */
function failureText(err: unknown): string {
  const cause = err instanceof wf.ActivityFailure ? err.cause : err;
  if (cause instanceof wf.ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return err instanceof Error ? err.message : String(err);
}
