import { ApplicationFailure } from '@temporalio/common';
import {
  DefenderApiError,
  DefenderAuthError,
  DefenderRedirectError,
  DefenderResponseError,
  DefenderTransportError,
} from './defender/errors.js';
import { InvalidArgumentError } from './defender/ids.js';

/**
 * The stable failure types an activity can end with. Workflows, playbooks and alerting match on these names, so they
 * never change meaning. Retryable ones are retried by Temporal under the activity's retry policy.
 */
export const DefenderFailureType = {
  /** 400: an action of the same type is already pending for the machine; the caller adopts it. */
  ActiveRequestAlreadyExists: 'ActiveRequestAlreadyExists',
  /** Any other 400: the request itself is wrong; sending it again cannot help. */
  BadRequest: 'DefenderBadRequest',
  /** 401 even after a fresh token. */
  Unauthorized: 'DefenderUnauthorized',
  /** 403 Forbidden / DisabledFeature / DisallowedOperation: missing app role or device-group access. */
  AccessDenied: 'DefenderAccessDenied',
  /** 404 ResourceNotFound / NotFound. */
  NotFound: 'DefenderNotFound',
  /** 429: retried after Retry-After. */
  RateLimited: 'DefenderRateLimited',
  /** 5xx (and 408): retried. */
  ServerError: 'DefenderServerError',
  /** No answer within the request timeout: retried. */
  Timeout: 'DefenderTimeout',
  /** Reset, refused, DNS: retried. */
  NetworkError: 'DefenderNetworkError',
  /** A 2xx with a body that is not the documented shape (a proxy page, a truncated answer): retried. */
  InvalidResponse: 'DefenderInvalidResponse',
  /** Entra ID refused the client credentials or scope. */
  AuthFailed: 'DefenderAuthFailed',
  /** A redirect to another origin, which could leak the token. */
  RedirectRefused: 'DefenderRedirectRefused',
  /** An id or argument failed validation before any request was built. */
  InvalidInput: 'InvalidInput',
} as const;
export type DefenderFailureType = (typeof DefenderFailureType)[keyof typeof DefenderFailureType];

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
export function toActivityFailure(err: unknown, options: { rateLimitFallbackMs?: number } = {}): unknown {
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
        nextRetryDelay: err.retryAfterMs ?? options.rateLimitFallbackMs ?? DEFAULT_RATE_LIMIT_DELAY_MS,
        details: [details],
      });
    }
    if (err.status >= 500 || err.status === 408) return failure(err, DefenderFailureType.ServerError, true, details);
    if (err.status === 401) return failure(err, DefenderFailureType.Unauthorized, false, details);
    if (err.status === 403) return failure(err, DefenderFailureType.AccessDenied, false, details);
    if (err.status === 404) return failure(err, DefenderFailureType.NotFound, false, details);
    // 400 and the rest of 4xx; 3xx only arrive here when a same-origin redirect chain was too long.
    return failure(err, DefenderFailureType.BadRequest, false, details);
  }
  if (err instanceof DefenderTransportError) {
    const type = err.kind === 'timeout' ? DefenderFailureType.Timeout : DefenderFailureType.NetworkError;
    return failure(err, type, true, { code: err.code, endpoint: err.endpoint });
  }
  if (err instanceof DefenderResponseError) {
    return failure(err, DefenderFailureType.InvalidResponse, true, { status: err.status, endpoint: err.endpoint });
  }
  if (err instanceof DefenderAuthError) {
    return failure(err, DefenderFailureType.AuthFailed, false, {
      status: err.status,
      code: err.code,
      endpoint: 'token',
    });
  }
  if (err instanceof DefenderRedirectError) {
    return failure(err, DefenderFailureType.RedirectRefused, false, { endpoint: err.endpoint });
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

/** Runs a Defender call and rethrows whatever it throws as the mapped Temporal failure. */
export async function mapDefenderFailures<T>(
  call: () => Promise<T>,
  options?: { rateLimitFallbackMs?: number },
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toActivityFailure(err, options);
  }
}
