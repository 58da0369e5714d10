import { activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_PRIORITY, RATE_BUDGET_EXHAUSTED } from '../contract/index.js';
import { DefenderApiError } from './defender/errors.js';
import { toActivityFailure } from './failures.js';
import { activityClient, type RateGate } from './rate-gate.js';

export interface DefenderCallOptions {
  /** Delay before retrying a 429 that carried no Retry-After. */
  rateLimitFallbackMs?: number | undefined;
  /** The tenant's call ledger, which every call reserves against first; absent, the task queue's limit alone. */
  rateGate?: RateGate | undefined;
}

/**
 * Runs Defender calls inside an activity: reserves them with the tenant's ledger, passes the activity's cancellation
 * on to the request, logs Defender's correlation id when it refuses, and turns whatever failed into the mapped
 * Temporal failure. `calls` is how many requests `fn` makes.
 */
export async function callDefender<T>(
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: DefenderCallOptions & { calls?: number } = {},
): Promise<T> {
  await reserve(options.rateGate, options.calls ?? 1);
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

/** What an attempt that the budget held back leaves for the next one: it sent nothing. */
interface NothingSent {
  nothingSentInAttempt: number;
}

async function reserve(gate: RateGate | undefined, calls: number): Promise<void> {
  if (!gate) return;
  const info = activityInfo();
  try {
    await gate.acquire({
      calls,
      priority: info.priority?.priorityKey || DEFAULT_PRIORITY,
      client: activityClient(),
      signal: cancellationSignal(),
    });
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === RATE_BUDGET_EXHAUSTED) {
      heartbeat({ nothingSentInAttempt: info.attempt } satisfies NothingSent);
    }
    throw err;
  }
}

/**
 * Whether the previous attempt of this activity is known to have sent nothing (the budget held it back). An attempt
 * that went on to send leaves no such word, so a stale one from an earlier attempt never counts.
 */
export function previousAttemptSentNothing(): boolean {
  const { attempt, heartbeatDetails } = activityInfo();
  return (heartbeatDetails as Partial<NothingSent> | undefined)?.nothingSentInAttempt === attempt - 1;
}
