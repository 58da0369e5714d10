import * as wf from '@temporalio/workflow';
import {
  CANCELLATION_REFUSED,
  isEndState,
  parseCancelRequest,
  type CancelReleaseInput,
  type ReleaseStatus,
} from '../../contract/index.js';
import type { ReleaseTracker } from './release-tracker.js';

/**
 * The `cancelRelease` validator: synchronous, so a refused cancellation leaves nothing in history. Refused for a
 * release that has ended or is being cancelled already, and for input the contract's rules refuse (naming the field).
 */
export function checkCancellation(release: ReleaseTracker, input: unknown): void {
  const { workflowId, state, cancellation } = release.status;
  if (isEndState(state)) {
    throw refuseCancellation(`release ${workflowId} has already ended (state: ${state}); nothing to cancel`);
  }
  if (cancellation || state === 'cancelling') {
    throw refuseCancellation(`release ${workflowId} is already being cancelled`);
  }
  const parsed = parseCancelRequest(input);
  if (!parsed.ok) throw refuseCancellation(`invalid cancellation: ${parsed.reason}`);
}

/**
 * The `cancelRelease` handler: records who and why, then cancels the release's steps as a Temporal cancellation
 * would, so that the same path (`cancelAtDefender`) cancels a pending Defender action and ends the release
 * `cancelled`. Answers at once, with the status as it is; the clean-up at Defender may take longer.
 */
export function recordCancellation(
  release: ReleaseTracker,
  steps: wf.CancellationScope,
  input: CancelReleaseInput,
): ReleaseStatus {
  // The validator passed it: parsed again only for `by` in its normalised form.
  const parsed = parseCancelRequest(input);
  if (!parsed.ok) throw refuseCancellation(`invalid cancellation: ${parsed.reason}`);
  const { by, reason } = parsed.value;
  release.status.cancellation = { by, reason, at: new Date().toISOString() };
  wf.log.info('Release cancelled', { by, reason, state: release.status.state });
  wf.setCurrentDetails(release.describe());
  steps.cancel();
  return release.status;
}

/** Why a `cancelRelease` update was refused; the validator throws it, so nothing reaches history. */
function refuseCancellation(message: string): wf.ApplicationFailure {
  return wf.ApplicationFailure.nonRetryable(message, CANCELLATION_REFUSED);
}
