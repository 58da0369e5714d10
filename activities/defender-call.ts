import { activityInfo, cancellationSignal, log } from '@temporalio/activity';
import { DefenderApiError } from './defender/errors.js';
import { toActivityFailure } from './failures.js';

export interface DefenderCallOptions {
  /** Delay before retrying a 429 that carried no Retry-After. */
  rateLimitFallbackMs?: number | undefined;
}

/**
 * Runs one Defender call inside an activity: passes the activity's cancellation on to the request, logs Defender's
 * correlation id when it refuses, and turns whatever failed into the mapped Temporal failure.
 */
export async function callDefender<T>(
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: DefenderCallOptions = {},
): Promise<T> {
  try {
    return await fn(cancellationSignal());
  } catch (err) {
    if (err instanceof DefenderApiError) {
      // Defender's error.target is its correlation id for the request: what its support asks for.
      log.warn(`Defender ${what} failed`, {
        endpoint: err.endpoint,
        status: err.status,
        code: err.code,
        correlationId: err.target,
      });
    }
    throw toActivityFailure(err, { ...options, attempt: activityInfo().attempt });
  }
}
