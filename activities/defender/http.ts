import got, { RequestError, type Got } from 'got';
import { DefenderRedirectError, DefenderTransportError, type DefenderEndpoint } from './errors.js';

export interface HttpClientOptions {
  prefixUrl: string;
  /** Whole-request budget; keep it below the start-to-close timeout of the activities that call it. */
  requestTimeoutMs: number;
  userAgent: string;
}

/**
 * One got instance per remote API. got never retries (Temporal owns retries, and a retried POST could create a second
 * release), never throws on HTTP status (the caller maps statuses in one place) and never follows a redirect: got would
 * send the token request's form (the client secret) again to wherever it points, and a redirect loop would be retried
 * until the deadline. A redirect answer is refused by `refuseRedirect` instead.
 */
export function createHttpClient(options: HttpClientOptions): Got {
  return got.extend({
    prefixUrl: options.prefixUrl,
    timeout: { request: options.requestTimeoutMs },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    headers: { 'user-agent': options.userAgent, accept: 'application/json' },
  });
}

/** Throws on a redirect (3xx) answer: Defender and Entra ID answer their documented URLs directly. */
export function refuseRedirect(response: { statusCode: number }, endpoint: DefenderEndpoint): void {
  if (response.statusCode >= 300 && response.statusCode < 400) {
    throw new DefenderRedirectError(endpoint, response.statusCode);
  }
}

/** Turns what got throws into our typed errors; anything unknown (aborts, bugs) passes through untouched. */
export function toTransportError(err: unknown, endpoint: DefenderEndpoint): unknown {
  if (err instanceof RequestError) {
    if (err.code === 'ERR_ABORTED' || err.name === 'AbortError') return err;
    if (err.name === 'TimeoutError' || err.code === 'ETIMEDOUT') {
      return new DefenderTransportError('timeout', err.code, endpoint);
    }
    return new DefenderTransportError('network', err.code, endpoint);
  }
  return err;
}

export function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false };
  }
}
