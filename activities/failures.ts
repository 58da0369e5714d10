import { ApplicationFailure } from '@temporalio/common';
import {
  DefenderApiError,
  DefenderAuthError,
  DefenderRedirectError,
  DefenderResponseError,
  DefenderTransportError,
} from './defender/errors.js';
import { InvalidArgumentError } from './defender/ids.js';
import { DefenderFailureType } from '../contract/index.js';

/** Attempts of a call whose answer could not be read before it fails for good (about half a minute of backoff). */
/** The longest a 429 holds a call: Defender's longest window. */
export const MAX_RATE_LIMIT_DELAY_MS = 60 * 60_000;

export const UNREADABLE_ANSWER_ATTEMPTS = 5;

/** Used when a 429 carries no usable Retry-After: Defender's windows are per minute. */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 60_000;

export interface FailureDetails {
  status?: number;
  code?: string;
  /** Defender's `error.target`, its correlation id for the request. */
  target?: string;
  endpoint?: string;
}

/**
 * The one place where an outcome of a Defender call becomes a Temporal failure. Everything else in the activities
 * throws typed errors and lets this decide retryable or not. Errors it does not know (aborts, bugs) pass through.
 */
export function toActivityFailure(
  err: unknown,
  options: { rateLimitFallbackMs?: number | undefined; attempt?: number } = {},
): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof DefenderApiError) {
    const details: FailureDetails = { status: err.status, code: err.code, target: err.target, endpoint: err.endpoint };
    if (err.isActiveRequestAlreadyExists)
      return failure(err, DefenderFailureType.ActiveRequestAlreadyExists, false, details);
    if (err.status === 429) {
      return ApplicationFailure.create({
        message: err.message,
        type: DefenderFailureType.RateLimited,
        nonRetryable: false,
        // Defender's windows are a minute and an hour: a longer Retry-After (or a hostile one) waits the hour at most.
        nextRetryDelay: Math.min(
          err.retryAfterMs ?? options.rateLimitFallbackMs ?? DEFAULT_RATE_LIMIT_DELAY_MS,
          MAX_RATE_LIMIT_DELAY_MS,
        ),
        details: [details],
      });
    }
    if (err.status >= 500 || err.status === 408) return failure(err, DefenderFailureType.ServerError, true, details);
    if (err.status === 401) return failure(err, DefenderFailureType.Unauthorized, false, details);
    if (err.status === 403) return failure(err, DefenderFailureType.AccessDenied, false, details);
    if (err.status === 404) return failure(err, DefenderFailureType.NotFound, false, details);
    // 400 and the rest of 4xx (a 3xx is a DefenderRedirectError, below).
    return failure(err, DefenderFailureType.BadRequest, false, details);
  }
  if (err instanceof DefenderTransportError) {
    const type = err.kind === 'timeout' ? DefenderFailureType.Timeout : DefenderFailureType.NetworkError;
    return failure(err, type, true, { code: err.code, endpoint: err.endpoint });
  }
  if (err instanceof DefenderResponseError) {
    // An answer that cannot be read may be a proxy's hiccup, worth a retry; the same answer every time will not change.
    const retryable = (options.attempt ?? 1) < UNREADABLE_ANSWER_ATTEMPTS;
    return failure(err, DefenderFailureType.InvalidResponse, retryable, { status: err.status, endpoint: err.endpoint });
  }
  if (err instanceof DefenderAuthError) {
    return failure(err, DefenderFailureType.AuthFailed, false, {
      status: err.status,
      code: err.code,
      endpoint: 'token',
    });
  }
  if (err instanceof DefenderRedirectError) {
    // A misconfigured URL or a proxy in the way: the same request gets the same redirect, so retrying cannot help.
    return failure(err, DefenderFailureType.RedirectRefused, false, { status: err.status, endpoint: err.endpoint });
  }
  if (err instanceof InvalidArgumentError) {
    return failure(err, DefenderFailureType.InvalidInput, false, { code: err.field });
  }
  return err;
}

function failure(
  err: Error,
  type: DefenderFailureType,
  retryable: boolean,
  details: FailureDetails,
): ApplicationFailure {
  return ApplicationFailure.create({
    message: err.message,
    type,
    nonRetryable: !retryable,
    details: [stripUndefined(details)],
  });
}

function stripUndefined(details: FailureDetails): FailureDetails {
  return Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined)) as FailureDetails;
}
