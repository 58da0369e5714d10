/**
 * The one place where an outcome of a nudge's HTTP post becomes a Temporal failure: retryable (the network, a timeout,
 * 408, 429 after its Retry-After, 5xx) or not (any other 4xx, a redirect: a webhook revoked or mistyped stays so).
 * Messages name the channel and the status, never the URL: a webhook URL is a secret (whoever has it can post to the
 * channel), and a failure's message is stored in history, shown in the UI and logged.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { RequestError } from 'got';
import { NudgeFailureType, type NudgeChannel } from '../../contract/index.js';
import { parseRetryAfter } from '../defender/errors.js';

/** Used when a 429 carries no usable Retry-After. */
export const DEFAULT_NUDGE_RATE_LIMIT_DELAY_MS = 30_000;
/** The longest a Retry-After holds a nudge: an approval waits a day at most by default, a nudge should not. */
export const MAX_NUDGE_RATE_LIMIT_DELAY_MS = 10 * 60_000;

/** The failure for a webhook's answer, or undefined when it took the message (2xx). */
export function answerFailure(
  channel: NudgeChannel,
  status: number,
  retryAfter?: string | string[],
): ApplicationFailure | undefined {
  if (status >= 200 && status < 300) return undefined;
  const message = `${channel} webhook answered HTTP ${status}`;
  const details = [{ channel, status }];
  if (status === 429) {
    const delay = parseRetryAfter(retryAfter) ?? DEFAULT_NUDGE_RATE_LIMIT_DELAY_MS;
    return ApplicationFailure.create({
      message,
      type: NudgeFailureType.RateLimited,
      nextRetryDelay: Math.min(delay, MAX_NUDGE_RATE_LIMIT_DELAY_MS),
      details,
    });
  }
  if (status >= 500 || status === 408) {
    return ApplicationFailure.create({ message, type: NudgeFailureType.ServerError, details });
  }
  // 3xx (never followed: it could carry the message, or the URL's token, elsewhere) and the other 4xx.
  return ApplicationFailure.create({ message, type: NudgeFailureType.Refused, nonRetryable: true, details });
}

/**
 * What got threw, without its URL: got's errors carry the request options and a message that may name the host. Only
 * the error code survives. An abort (the activity cancelled) becomes the CancelledFailure Temporal expects.
 */
export function transportFailure(channel: NudgeChannel, err: unknown): unknown {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if (!(err instanceof RequestError)) {
    // Not got's (a bug, something unforeseen): its message could still hold the URL, so only its name is kept.
    return ApplicationFailure.create({
      message: `${channel} webhook post failed (${err instanceof Error ? err.name : typeof err})`,
      type: NudgeFailureType.NetworkError,
      details: [{ channel }],
    });
  }
  if (err.code === 'ERR_ABORTED' || err.name === 'AbortError')
    return new CancelledFailure(`${channel} nudge cancelled`);
  const timeout = err.name === 'TimeoutError' || err.code === 'ETIMEDOUT';
  return ApplicationFailure.create({
    message: `${channel} webhook ${timeout ? 'did not answer in time' : `could not be reached (${err.code})`}`,
    type: timeout ? NudgeFailureType.Timeout : NudgeFailureType.NetworkError,
    details: [{ channel, code: err.code }],
  });
}

export function notConfigured(channel: NudgeChannel, tenant: string | null): ApplicationFailure {
  return ApplicationFailure.create({
    message: `no ${channel} webhook is configured for tenant ${tenant ?? 'default'} on this worker`,
    type: NudgeFailureType.NotConfigured,
    nonRetryable: true,
  });
}
