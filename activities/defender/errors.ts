/**
 * Typed errors of the Defender client. They carry what is needed to decide on a retry and to correlate with
 * Defender's logs, and never a token or a secret: messages are built from status, error code and Defender's text.
 */

export type DefenderEndpoint =
  | 'token'
  | 'getMachine'
  | 'listMachines'
  | 'isolateMachine'
  | 'unisolateMachine'
  | 'getMachineAction'
  | 'listMachineActions'
  | 'cancelMachineAction';

/** Defender answered with a non-2xx status. */
export class DefenderApiError extends Error {
  override readonly name = 'DefenderApiError';
  readonly status: number;
  readonly code: string | undefined;
  readonly defenderMessage: string | undefined;
  /** Defender's `error.target`: its correlation id for this request. */
  readonly target: string | undefined;
  /** From `Retry-After`, when present and parseable. */
  readonly retryAfterMs: number | undefined;
  readonly endpoint: DefenderEndpoint;

  constructor(args: {
    status: number;
    code?: string;
    defenderMessage?: string;
    target?: string;
    retryAfterMs?: number;
    endpoint: DefenderEndpoint;
  }) {
    const code = untrustedText(args.code, 100);
    const defenderMessage = untrustedText(args.defenderMessage, 500);
    const target = untrustedText(args.target, 100);
    const detail = [code, defenderMessage].filter(Boolean).join(': ');
    super(
      `Defender ${args.endpoint} answered HTTP ${args.status}${detail ? ` (${detail})` : ''}${target ? ` [target ${target}]` : ''}`,
    );
    this.status = args.status;
    this.code = code;
    this.defenderMessage = defenderMessage;
    this.target = target;
    this.retryAfterMs = args.retryAfterMs;
    this.endpoint = args.endpoint;
  }

  /** Defender's duplicate rule: an action of the same type is already pending or in progress for this machine. */
  get isActiveRequestAlreadyExists(): boolean {
    return (
      this.status === 400 &&
      (this.code === 'ActiveRequestAlreadyExists' || /action is already in progress/i.test(this.defenderMessage ?? ''))
    );
  }
}

/**
 * Text from an error body goes into failure messages, history and logs: cut to `max`, controls shown as spaces, and
 * anything shaped like a bearer token or a JWT (an answer may echo the request's headers) redacted.
 */
export function untrustedText(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  const cleaned = text
    // eslint-disable-next-line no-control-regex -- controls are what is being removed
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/bearer\s+[\w.~+/=-]{20,}/gi, 'Bearer [redacted]')
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[redacted]');
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}

/** The request never got an HTTP answer: timeout, reset, refused connection, DNS failure. */
export class DefenderTransportError extends Error {
  override readonly name = 'DefenderTransportError';
  constructor(
    readonly kind: 'timeout' | 'network',
    readonly code: string | undefined,
    readonly endpoint: DefenderEndpoint,
  ) {
    super(
      kind === 'timeout'
        ? `Defender ${endpoint} did not answer before the request timeout`
        : `Defender ${endpoint} request failed on the network (${code ?? 'unknown error'})`,
    );
  }
}

/** A 2xx answer whose body is not JSON or does not have the documented shape. */
export class DefenderResponseError extends Error {
  override readonly name = 'DefenderResponseError';
  constructor(
    readonly status: number,
    readonly endpoint: DefenderEndpoint,
    detail: string,
  ) {
    super(`Defender ${endpoint} answered HTTP ${status} with an unexpected body: ${detail}`);
  }
}

/** Entra ID refused to issue a token (bad client id or secret, unknown tenant, bad scope). */
export class DefenderAuthError extends Error {
  override readonly name = 'DefenderAuthError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    description: string | undefined,
  ) {
    // Entra's descriptions name the client id and trace ids, never the secret.
    super(
      `token request refused with HTTP ${status}${code ? ` (${code}${description ? `: ${firstLine(description)}` : ''})` : ''}`,
    );
  }
}

/**
 * Defender, Entra ID or something in between answered with a redirect. It is never followed: the token request would
 * carry the client secret to the redirect's target, an API call its bearer token. The message names the endpoint and
 * the rule, not the target, which is whatever the answer said.
 */
export class DefenderRedirectError extends Error {
  override readonly name = 'DefenderRedirectError';
  constructor(
    readonly endpoint: DefenderEndpoint,
    readonly status: number,
  ) {
    const [sent, url] = endpoint === 'token' ? ['client secret', 'login'] : ['bearer token', 'API'];
    super(
      `Defender ${endpoint} answered HTTP ${status} (a redirect), refused: redirects are never followed, so that the ` +
        `${sent} goes to the configured ${url} URL only; configure the URL that answers directly`,
    );
  }
}

export type DefenderError =
  DefenderApiError | DefenderTransportError | DefenderResponseError | DefenderAuthError | DefenderRedirectError;

function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value == null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
