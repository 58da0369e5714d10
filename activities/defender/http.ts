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
 * release), never throws on HTTP status (the caller maps statuses in one place) and never follows a redirect to
 * another origin, where the bearer token or client secret could leak.
 */
export function createHttpClient(options: HttpClientOptions): Got {
  const origin = new URL(options.prefixUrl).origin;
  return got.extend({
    prefixUrl: options.prefixUrl,
    timeout: { request: options.requestTimeoutMs },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: true,
    maxRedirects: 3,
    headers: { 'user-agent': options.userAgent, accept: 'application/json' },
    hooks: {
      beforeRedirect: [
        (updatedOptions) => {
          const target = updatedOptions.url instanceof URL ? updatedOptions.url : new URL(String(updatedOptions.url));
          if (target.origin !== origin) {
            const endpoint = (updatedOptions.context?.endpoint ?? 'unknown') as DefenderEndpoint;
            throw new DefenderRedirectError(endpoint, target.origin);
          }
        },
      ],
    },
  });
}

/** Turns what got throws into our typed errors; anything unknown (aborts, bugs) passes through untouched. */
export function toTransportError(err: unknown, endpoint: DefenderEndpoint): unknown {
  if (err instanceof DefenderRedirectError) return err;
  if (err instanceof RequestError) {
    if (err.cause instanceof DefenderRedirectError) return err.cause;
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
