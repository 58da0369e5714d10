import * as wf from '@temporalio/workflow';
import { DefenderFailureType, ReleaseFailureType, type ReleaseState } from '../../contract/index.js';
import type { ReleaseTracker } from './release-tracker.js';

/** Activity failure types that end a release, and how. */
const ENDS: Partial<Record<string, { state: ReleaseState; type: ReleaseFailureType }>> = {
  [DefenderFailureType.NotFound]: { state: 'machine-not-found', type: ReleaseFailureType.MachineNotFound },
  [DefenderFailureType.AccessDenied]: { state: 'access-denied', type: ReleaseFailureType.DefenderAccessDenied },
  [DefenderFailureType.InvalidInput]: { state: 'invalid-input', type: ReleaseFailureType.InvalidInput },
};

/**
 * The activity gave up because its schedule-to-close budget ran out: either mid-attempt (TimeoutFailure) or because
 * the next retry would have started past it (retry state TIMEOUT, last failure attached).
 */
export function budgetSpent(err: unknown): boolean {
  return err instanceof wf.ActivityFailure && (err.cause instanceof wf.TimeoutFailure || err.retryState === 'TIMEOUT');
}

/** The typed cause of a failed activity, when it has one. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof wf.ActivityFailure ? err.cause : undefined;
  return cause instanceof wf.ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/**
 * Ends the release on a failed Defender activity whose failure decides it (unknown machine, no access, a refusal that
 * retrying cannot fix, the deadline spent); returns for failures the calling step handles itself.
 */
export function endOnDefenderFailure(release: ReleaseTracker, err: unknown, step: string): void {
  if (!(err instanceof wf.ActivityFailure)) return;
  if (budgetSpent(err)) {
    release.end(
      'deadline-exceeded',
      ReleaseFailureType.ReleaseDeadlineExceeded,
      `${step}: Defender did not answer within the deadline`,
    );
  }
  const cause = err.cause;
  if (!(cause instanceof wf.ApplicationFailure) || !cause.type) return;
  const message = `${step}: ${cause.message}`;
  const ends = ENDS[cause.type];
  if (ends) release.end(ends.state, ends.type, message, cause.details?.[0]);
  if (cause.nonRetryable && cause.type !== DefenderFailureType.ActiveRequestAlreadyExists) {
    release.end(
      'defender-error',
      ReleaseFailureType.DefenderRequestFailed,
      `${message} (${cause.type})`,
      cause.details?.[0],
    );
  }
}
