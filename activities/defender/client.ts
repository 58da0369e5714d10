import type { Got } from 'got';
import type { z } from 'zod';
import { parseBaseUrl, withTrailingSlash } from './cloud.js';
import { DefenderApiError, DefenderResponseError, parseRetryAfter, type DefenderEndpoint } from './errors.js';
import { createHttpClient, parseJson, refuseRedirect, toTransportError } from './http.js';
import { InvalidArgumentError, parseMachineActionId, parseMachineId } from './ids.js';
import type { ODataFilter } from './odata.js';
import {
  defenderErrorBodySchema,
  machineActionListSchema,
  machineActionSchema,
  machineListSchema,
  machineSchema,
  type Machine,
  type MachineAction,
} from './schemas.js';
import type { TokenSource } from './token.js';

export type IsolationType = 'Full' | 'Selective' | 'UnManagedDevice';

/** Defender's documented maximum for `$top`. */
export const MAX_PAGE_SIZE = 10_000;

export interface DefenderClientOptions {
  apiUrl: string;
  tokens: TokenSource;
  /** Whole-request budget. Must stay below the start-to-close timeout of the activities using the client. */
  requestTimeoutMs?: number;
  userAgent: string;
  /** Called for every answered request, with Defender's correlation id when it gave one. */
  onResponse?: (event: ResponseEvent) => void;
}

export interface ResponseEvent {
  endpoint: DefenderEndpoint;
  method: string;
  status: number;
  durationMs: number;
  target?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ListOptions extends RequestOptions {
  filter?: ODataFilter;
  top?: number;
  skip?: number;
}

interface CallSpec<S extends z.ZodType> {
  endpoint: DefenderEndpoint;
  method: 'GET' | 'POST';
  path: string;
  schema: S;
  json?: Record<string, unknown>;
  searchParams?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The Microsoft Defender for Endpoint API, as documented: every path built from validated ids, every body exactly as
 * documented (`Comment` is case-sensitive), every answer checked against a schema. It does not retry; the activity that
 * calls it maps each failure to a retryable or non-retryable Temporal failure.
 */
export class DefenderClient {
  readonly #http: Got;
  readonly #tokens: TokenSource;
  readonly #onResponse: ((event: ResponseEvent) => void) | undefined;

  constructor(options: DefenderClientOptions) {
    const apiUrl = parseBaseUrl(options.apiUrl, 'Defender API URL');
    this.#http = createHttpClient({
      prefixUrl: `${withTrailingSlash(apiUrl)}api/`,
      requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
      userAgent: options.userAgent,
    });
    this.#tokens = options.tokens;
    this.#onResponse = options.onResponse;
  }

  async getMachine(machineId: string, options: RequestOptions = {}): Promise<Machine> {
    const id = parseMachineId(machineId);
    return this.#call({
      endpoint: 'getMachine',
      method: 'GET',
      path: `machines/${id}`,
      schema: machineSchema,
      ...options,
    });
  }

  /** One page of machines. */
  async listMachines(options: ListOptions = {}): Promise<Machine[]> {
    return this.#list({ endpoint: 'listMachines', path: 'machines', schema: machineListSchema }, options);
  }

  /** Releases the machine from isolation: the new (or, per MS docs #5903, an already pending) Unisolate action. */
  async unisolateMachine(args: { machineId: string; comment: string }, options: RequestOptions = {}) {
    const path = `machines/${parseMachineId(args.machineId)}/unisolate`;
    return this.#postAction('unisolateMachine', path, { Comment: requireComment(args.comment) }, options);
  }

  async isolateMachine(
    args: { machineId: string; comment: string; isolationType: IsolationType },
    options: RequestOptions = {},
  ): Promise<MachineAction> {
    const id = parseMachineId(args.machineId);
    const body = { Comment: requireComment(args.comment), IsolationType: args.isolationType };
    return this.#postAction('isolateMachine', `machines/${id}/isolate`, body, options);
  }

  async getMachineAction(actionId: string, options: RequestOptions = {}): Promise<MachineAction> {
    const id = parseMachineActionId(actionId);
    const path = `machineactions/${id}`;
    return this.#call({ endpoint: 'getMachineAction', method: 'GET', path, schema: machineActionSchema, ...options });
  }

  async cancelMachineAction(
    args: { actionId: string; comment: string },
    options: RequestOptions = {},
  ): Promise<MachineAction> {
    const id = parseMachineActionId(args.actionId);
    const body = { Comment: requireComment(args.comment) };
    return this.#postAction('cancelMachineAction', `machineactions/${id}/cancel`, body, options);
  }

  /** One page of machine actions. */
  async listMachineActions(options: ListOptions = {}): Promise<MachineAction[]> {
    return this.#list(
      { endpoint: 'listMachineActions', path: 'machineactions', schema: machineActionListSchema },
      options,
    );
  }

  /**
   * Every machine action matching `filter`, paged with `$top`/`$skip` until a short page. `@odata.nextLink` is ignored
   * on purpose: MDE omits it when `$top` is given and has returned looping links without it.
   */
  async listAllMachineActions(
    options: RequestOptions & { filter?: ODataFilter; pageSize?: number; limit?: number } = {},
  ): Promise<MachineAction[]> {
    const pageSize = Math.min(options.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const all: MachineAction[] = [];
    for (let skip = 0; all.length < limit; skip += pageSize) {
      const page = await this.listMachineActions({
        filter: options.filter,
        top: pageSize,
        skip,
        signal: options.signal,
      });
      all.push(...page);
      if (page.length < pageSize) break;
    }
    return all.slice(0, limit);
  }

  /** A POST whose answer is the machine action it created or changed. */
  async #postAction(
    endpoint: DefenderEndpoint,
    path: string,
    json: Record<string, string>,
    options: RequestOptions,
  ): Promise<MachineAction> {
    return this.#call({ endpoint, method: 'POST', path, json, schema: machineActionSchema, ...options });
  }

  /**
   * One page of a collection (OData `$filter`, `$top`, `$skip`), its `value`. Defender answers a list with nothing to
   * list `404 Not Found` (documented for machines): that is an empty page, not an unknown resource.
   */
  async #list<T>(
    spec: { endpoint: DefenderEndpoint; path: string; schema: z.ZodType<{ value: T[] }> },
    options: ListOptions,
  ): Promise<T[]> {
    try {
      const page = await this.#call({
        ...spec,
        method: 'GET',
        searchParams: listParams(options),
        signal: options.signal,
      });
      return page.value;
    } catch (err) {
      if (err instanceof DefenderApiError && err.status === 404) return [];
      throw err;
    }
  }

  /**
   * Makes sure a token is at hand, so that a request made right after this one does not wait for Entra ID first (the
   * worker reserves each call with the tenant's ledger just before making it).
   */
  async prepare(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#tokens.getToken({ signal: options.signal });
  }

  async #call<S extends z.ZodType>(spec: CallSpec<S>): Promise<z.output<S>> {
    let token = await this.#tokens.getToken({ signal: spec.signal });
    let response = await this.#send(spec, token);
    if (response.statusCode === 401) {
      // Tokens can be revoked or rotated before they expire: refresh once, retry once, then give up.
      token = await this.#tokens.getToken({ rejected: token, signal: spec.signal });
      response = await this.#send(spec, token);
    }
    const body = parseJson(response.body);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      if (!body.ok) throw new DefenderResponseError(response.statusCode, spec.endpoint, 'not JSON');
      const parsed = spec.schema.safeParse(body.value);
      if (!parsed.success) {
        throw new DefenderResponseError(response.statusCode, spec.endpoint, summarizeIssues(parsed.error));
      }
      return parsed.data;
    }
    const error = body.ok ? defenderErrorBodySchema.safeParse(body.value) : undefined;
    throw new DefenderApiError({
      status: response.statusCode,
      endpoint: spec.endpoint,
      code: error?.success ? error.data.error.code : undefined,
      defenderMessage: error?.success ? (error.data.error.message ?? undefined) : undefined,
      target: error?.success ? (error.data.error.target ?? undefined) : undefined,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  }

  async #send(spec: CallSpec<z.ZodType>, token: string) {
    const started = performance.now();
    let response;
    try {
      response = await this.#http(spec.path, {
        method: spec.method,
        json: spec.json,
        searchParams: spec.searchParams,
        signal: spec.signal,
        headers: { authorization: `Bearer ${token}` },
        context: { endpoint: spec.endpoint },
      });
    } catch (err) {
      throw toTransportError(err, spec.endpoint);
    }
    if (this.#onResponse) {
      const body = parseJson(response.body);
      const error = body.ok ? defenderErrorBodySchema.safeParse(body.value) : undefined;
      this.#onResponse({
        endpoint: spec.endpoint,
        method: spec.method,
        status: response.statusCode,
        durationMs: performance.now() - started,
        target: error?.success ? (error.data.error.target ?? undefined) : undefined,
      });
    }
    refuseRedirect(response, spec.endpoint);
    return response;
  }
}

function listParams(options: ListOptions): Record<string, string> {
  const params: Record<string, string> = {};
  if (options.filter) params.$filter = options.filter;
  if (options.top !== undefined) {
    if (!Number.isInteger(options.top) || options.top < 1 || options.top > MAX_PAGE_SIZE) {
      throw new InvalidArgumentError('top', `$top must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    params.$top = String(options.top);
  }
  if (options.skip !== undefined && options.skip > 0) params.$skip = String(options.skip);
  return params;
}

function requireComment(comment: string): string {
  if (typeof comment !== 'string' || comment.trim() === '') {
    throw new InvalidArgumentError('comment', 'a machine action needs a non-empty comment');
  }
  return comment;
}

function summarizeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
