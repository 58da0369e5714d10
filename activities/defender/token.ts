import type { Got } from 'got';
import { DEFAULT_SCOPE, parseBaseUrl, withTrailingSlash } from './cloud.js';
import { DefenderApiError, DefenderAuthError, DefenderResponseError, parseRetryAfter } from './errors.js';
import { createHttpClient, parseJson, refuseRedirect, toTransportError } from './http.js';
import { parseTenantId } from './ids.js';
import { tokenErrorBodySchema, tokenResponseSchema } from './schemas.js';

export interface TokenSource {
  /**
   * Returns a bearer token. `rejected` names a token the API just refused with 401: it is dropped from the cache (once,
   * however many callers report it) and a fresh one is requested.
   */
  getToken(options?: { rejected?: string; signal?: AbortSignal }): Promise<string>;
}

export interface ClientCredentialsOptions {
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** Refresh this long before the token expires, so a request never leaves with a token about to lapse. */
  expirySkewMs?: number;
  requestTimeoutMs?: number;
  userAgent: string;
  now?: () => number;
}

interface CachedToken {
  value: string;
  refreshAt: number;
}

/** OAuth2 client-credentials flow against Entra ID's v2.0 token endpoint, cached and shared by every caller. */
export class ClientCredentialsTokenSource implements TokenSource {
  readonly #http: Got;
  readonly #path: string;
  readonly #form: Record<string, string>;
  readonly #skewMs: number;
  readonly #now: () => number;
  #cached: CachedToken | undefined;
  #inFlight: Promise<string> | undefined;
  /** How many tokens were requested from Entra; for tests and metrics. */
  issued = 0;

  constructor(options: ClientCredentialsOptions) {
    const loginUrl = parseBaseUrl(options.loginUrl, 'Defender login URL');
    const tenantId = parseTenantId(options.tenantId);
    if (!options.clientId) throw new Error('Defender client id is empty');
    if (!options.clientSecret) throw new Error('Defender client secret is empty');
    this.#http = createHttpClient({
      prefixUrl: withTrailingSlash(loginUrl),
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      userAgent: options.userAgent,
    });
    this.#path = `${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
    this.#form = {
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      scope: options.scope ?? DEFAULT_SCOPE,
    };
    this.#skewMs = options.expirySkewMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  async getToken(options: { rejected?: string; signal?: AbortSignal } = {}): Promise<string> {
    if (options.rejected !== undefined && this.#cached?.value === options.rejected) this.#cached = undefined;
    if (this.#cached && this.#now() < this.#cached.refreshAt) return this.#cached.value;
    // Concurrent callers share one request. It is deliberately not tied to any one caller's abort signal, so that one
    // cancelled activity cannot fail the token request of all the others.
    this.#inFlight ??= this.#request().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #request(): Promise<string> {
    this.issued += 1;
    let response;
    try {
      response = await this.#http.post(this.#path, { form: this.#form, context: { endpoint: 'token' } });
    } catch (err) {
      throw toTransportError(err, 'token');
    }
    refuseRedirect(response, 'token');
    const parsed = parseJson(response.body);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      const token = parsed.ok ? tokenResponseSchema.safeParse(parsed.value) : undefined;
      if (!token?.success)
        throw new DefenderResponseError(response.statusCode, 'token', 'no access_token in the answer');
      const { access_token: value, expires_in: expiresIn } = token.data;
      const lifetimeMs = expiresIn * 1000;
      // A short-lived token must still be usable: never let the skew eat more than half of its lifetime.
      const skew = Math.min(this.#skewMs, lifetimeMs / 2);
      this.#cached = { value, refreshAt: this.#now() + lifetimeMs - skew };
      return value;
    }
    const error = parsed.ok ? tokenErrorBodySchema.safeParse(parsed.value) : undefined;
    const code = error?.success ? error.data.error : undefined;
    const description = error?.success ? error.data.error_description : undefined;
    if (response.statusCode === 400 || response.statusCode === 401 || response.statusCode === 403) {
      throw new DefenderAuthError(response.statusCode, code, description);
    }
    throw new DefenderApiError({
      status: response.statusCode,
      code,
      endpoint: 'token',
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  }
}

/** A fixed token, for callers that obtain tokens elsewhere (e.g. a managed identity sidecar). */
export class StaticTokenSource implements TokenSource {
  constructor(private readonly token: string) {}
  async getToken(): Promise<string> {
    return this.token;
  }
}
