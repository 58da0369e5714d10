/**
 * Stable failure types. Workflows, playbooks and alerting match on these names, so they never change meaning.
 */

/** How a release or a batch ends when it does not succeed (a non-retryable ApplicationFailure's `type`). */
export const ReleaseFailureType = {
  InvalidInput: 'InvalidInput',
  MachineNotFound: 'MachineNotFound',
  ReleaseRejected: 'ReleaseRejected',
  ApprovalExpired: 'ApprovalExpired',
  DefenderAccessDenied: 'DefenderAccessDenied',
  MachineActionFailed: 'MachineActionFailed',
  MachineActionTimedOut: 'MachineActionTimedOut',
  MachineActionCancelled: 'MachineActionCancelled',
  ReleaseDeadlineExceeded: 'ReleaseDeadlineExceeded',
  ReisolatedAfterRelease: 'ReisolatedAfterRelease',
  /** Defender refused our credentials or requests in a way retrying cannot fix (bad secret, 400, 401, a redirect). */
  DefenderRequestFailed: 'DefenderRequestFailed',
} as const;
export type ReleaseFailureType = (typeof ReleaseFailureType)[keyof typeof ReleaseFailureType];

/** Why an `approve` or `reject` update was refused (by its validator: nothing reaches history). */
export const APPROVAL_REFUSED = 'ApprovalRefused';

/** Why a `cancelRelease` update was refused (by its validator: nothing reaches history). */
export const CANCELLATION_REFUSED = 'CancellationRefused';

/** How a Defender activity fails. Retryable ones are retried by Temporal under the activity's retry policy. */
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
  /** A redirect (any 3xx), never followed: it could carry the token or the client secret elsewhere, or loop. */
  RedirectRefused: 'DefenderRedirectRefused',
  /** An id or argument failed validation before any request was built. */
  InvalidInput: 'InvalidInput',
  /**
   * A retried release POST: the previous attempt's worker may have died after Defender created the action, so the
   * activity refuses to post blind and the release looks for its action first.
   */
  PreviousAttemptUnknown: 'PreviousAttemptUnknown',
} as const;
export type DefenderFailureType = (typeof DefenderFailureType)[keyof typeof DefenderFailureType];

/** Outcomes of a POST that leave it unknown whether Defender created the action: look before posting again. */
export const UNKNOWN_POST_OUTCOMES: readonly DefenderFailureType[] = [
  DefenderFailureType.ServerError,
  DefenderFailureType.Timeout,
  DefenderFailureType.NetworkError,
  DefenderFailureType.InvalidResponse,
  DefenderFailureType.PreviousAttemptUnknown,
];
