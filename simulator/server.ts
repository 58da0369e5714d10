import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DefenderEndpoint } from '../activities/defender/errors.js';
import { filterFields, matches, ODataSyntaxError, parseFilter } from './odata.js';
import { SlidingWindowLimiter, type RateLimits } from './rate-limiter.js';
import {
  actionEntity,
  createTenant,
  DEFAULT_BEHAVIOR,
  isInFlight,
  machineEntity,
  newMachineId,
  planAction,
  preciseNow,
  statusAt,
  type MachineBehavior,
  type SimAction,
  type SimMachine,
  type TenantData,
} from './state.js';

export const SIM_SCOPES = {
  /** Scopes that mint a token Defender accepts. */
  accepted: [
    'https://api.securitycenter.microsoft.com/.default',
    'https://securitycenter.onmicrosoft.com/windowsatpservice/.default',
  ],
};

/** The simulator answers the endpoints the Defender client calls. */
export type SimEndpoint = DefenderEndpoint;

export interface SimApp {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Application roles granted (and consented) to the app. */
  roles?: string[];
  displayName?: string;
}

export type Fault =
  | { kind: 'status'; status: number; code?: string; message?: string; retryAfter?: number | null }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  | { kind: 'malformed-json' }
  | { kind: 'html'; status?: number }
  | { kind: 'redirect'; location: string };

export interface FaultRule {
  /** Which requests it hits; without `endpoint` it hits every API endpoint but not the token endpoint. */
  match?: { endpoint?: SimEndpoint | SimEndpoint[]; machineId?: string; actionId?: string };
  /** How many matching requests it hits; unlimited when absent. */
  times?: number;
  /** Apply the request's effect first (the action is created), then fail the answer: "the POST reached Defender". */
  afterCommit?: boolean;
  fault: Fault;
}

export interface RequestLogEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  endpoint: SimEndpoint | 'unknown';
  tenantId?: string;
  clientId?: string;
  machineId?: string;
  actionId?: string;
  comment?: string;
  /** Token requests: the scope asked for (never the secret). */
  scope?: string;
  status: number;
  fault?: Fault['kind'];
  /** The call was refused by the rate limiter (429 not injected by a fault). */
  throttled?: boolean;
  /** An action was created or cancelled by this call. */
  committed?: boolean;
}

export interface SimulatorOptions {
  host?: string;
  port?: number;
  apps?: SimApp[];
  /** >1 compresses time: action lifecycles, rate-limit windows and Retry-After all run this many times faster. */
  timeScale?: number;
  /** Defaults to Defender's 100/min and 1500/h; `false` turns throttling off. */
  rateLimits?: RateLimits | false;
  /** Simulated ms during which a just-created action answers 404 on GET by id and is missing from lists. Default 1000. */
  actionVisibilityDelayMs?: number;
  tokenLifetimeSeconds?: number;
  /** Behaviour for machines that do not set their own. */
  defaultBehavior?: MachineBehavior;
}

export const DEFAULT_APP: SimApp = {
  tenantId: '11111111-2222-3333-4444-555555555555',
  clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  clientSecret: 'simulator-secret-do-not-use',
  displayName: 'defender-isolation simulator app',
};

const READ_ROLES = ['Machine.Read.All', 'Machine.ReadWrite.All'];
const ISOLATE_ROLE = 'Machine.Isolate';
const ACTION_FILTER_FIELDS = ['id', 'status', 'machineid', 'type', 'requestor', 'creationdatetimeutc'];
const MACHINE_FILTER_FIELDS = [
  'computerdnsname',
  'id',
  'version',
  'devicevalue',
  'aaddeviceid',
  'machinetags',
  'lastseen',
  'exposurelevel',
  'onboardingstatus',
  'lastipaddress',
  'healthstatus',
  'osplatform',
  'riskscore',
  'rbacgroupid',
];

interface IssuedToken {
  tenantId: string;
  clientId: string;
  validAudience: boolean;
  expiresAt: number;
}

class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/**
 * A stand-in for Microsoft Defender for Endpoint and its Entra ID token endpoint, over real HTTP, faithful to
 * `shared/reference/defender-api.md`: the same paths, bodies, status codes, error shapes, duplicate rule, eventual
 * consistency and per app+tenant throttling, plus fault injection and a request log for tests.
 */
export class DefenderSimulator {
  readonly #server: Server;
  #options: SimulatorOptions;
  readonly #apps: SimApp[];
  readonly #tenants = new Map<string, TenantData>();
  readonly #tokens = new Map<string, IssuedToken>();
  readonly #limiter: SlidingWindowLimiter | undefined;
  readonly #faults: (FaultRule & { id: string; hits: number })[] = [];
  readonly #log: RequestLogEntry[] = [];
  readonly timeScale: number;
  #url = '';

  constructor(options: SimulatorOptions = {}) {
    this.#options = options;
    this.#apps = options.apps ?? [DEFAULT_APP];
    this.timeScale = options.timeScale ?? 1;
    for (const app of this.#apps) {
      if (!this.#tenants.has(app.tenantId)) this.#tenants.set(app.tenantId, createTenant(app.tenantId));
    }
    if (options.rateLimits !== false) {
      this.#limiter = new SlidingWindowLimiter(options.rateLimits ?? { perMinute: 100, perHour: 1500 }, {
        minuteMs: 60_000 / this.timeScale,
        hourMs: 3_600_000 / this.timeScale,
      });
    }
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 5_000;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1', () => resolve());
    });
    const address = this.#server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#url = `http://${host}:${address.port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Serves both the Defender API (`/api/...`) and the token endpoint (`/{tenant}/oauth2/v2.0/token`). */
  get url(): string {
    if (!this.#url) throw new Error('simulator not started');
    return this.#url;
  }

  get apps(): readonly SimApp[] {
    return this.#apps;
  }

  // ---- seeding and inspection -------------------------------------------------------------------------------

  addMachine(
    input: Partial<Omit<SimMachine, 'behavior'>> & {
      tenantId?: string;
      behavior?: MachineBehavior;
      /** Seed a Succeeded Isolate action, so the machine starts isolated. */
      isolated?: boolean;
      isolatedAt?: Date;
    } = {},
  ): SimMachine {
    const tenant = this.#tenant(input.tenantId);
    const id = (input.id ?? newMachineId()).toLowerCase();
    const machine: SimMachine = {
      id,
      computerDnsName: input.computerDnsName ?? `host-${id.slice(0, 6)}.contoso.com`,
      osPlatform: input.osPlatform ?? 'Windows11',
      healthStatus: input.healthStatus ?? 'Active',
      onboardingStatus: input.onboardingStatus ?? 'Onboarded',
      rbacGroupId: input.rbacGroupId ?? null,
      rbacGroupName: input.rbacGroupName ?? null,
      machineTags: input.machineTags ?? [],
      lastSeen: input.lastSeen ?? new Date().toISOString(),
      behavior: { ...this.#options.defaultBehavior, ...input.behavior },
    };
    tenant.machines.set(id, machine);
    if (input.isolated) {
      const at = (input.isolatedAt ?? new Date(Date.now() - 3_600_000)).getTime();
      tenant.actions.push({
        id: randomUUID(),
        type: 'Isolate',
        machineId: id,
        computerDnsName: machine.computerDnsName,
        requestor: 'soc-analyst@contoso.com',
        requestorComment: 'Isolated during incident response',
        scope: 'Full',
        createdAt: at,
        pendingUntil: at + 1_000,
        doneAt: at + 2_000,
        finalStatus: 'Succeeded',
        deferredUntilRelease: false,
      });
    }
    return machine;
  }

  setBehavior(machineId: string, behavior: MachineBehavior, tenantId?: string): void {
    const machine = this.#tenant(tenantId).machines.get(machineId.toLowerCase());
    if (!machine) throw new Error(`no machine ${machineId}`);
    machine.behavior = { ...machine.behavior, ...behavior };
  }

  /**
   * The device comes back online: its actions stuck Pending (behavior `stuckPending`) run now, and end as the
   * machine's behavior says (InProgress for the behavior's inProgressMs, then final). Future actions are not stuck.
   */
  bringOnline(machineId: string, tenantId?: string): void {
    const tenant = this.#tenant(tenantId);
    const machine = tenant.machines.get(machineId.toLowerCase());
    if (!machine) throw new Error(`no machine ${machineId}`);
    machine.behavior = { ...machine.behavior, stuckPending: false };
    const now = Date.now();
    const inProgressMs = (machine.behavior.inProgressMs ?? DEFAULT_BEHAVIOR.inProgressMs) / this.timeScale;
    for (const action of tenant.actions) {
      if (action.machineId !== machine.id || action.pendingUntil !== Number.POSITIVE_INFINITY) continue;
      action.pendingUntil = now;
      action.doneAt = now + inProgressMs;
    }
  }

  addFault(rule: FaultRule): string {
    const id = randomUUID();
    this.#faults.push({ ...rule, id, hits: 0 });
    return id;
  }

  removeFault(id: string): void {
    const index = this.#faults.findIndex((f) => f.id === id);
    if (index >= 0) this.#faults.splice(index, 1);
  }

  /** How many requests a fault has hit so far (0 for an unknown id). */
  faultHits(id: string): number {
    return this.#faults.find((f) => f.id === id)?.hits ?? 0;
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Every request answered so far, oldest first. Holds no token, secret or full body. */
  get requests(): readonly RequestLogEntry[] {
    return this.#log;
  }

  clearRequests(): void {
    this.#log.length = 0;
  }

  /** Tokens handed out so far (tests scan histories and logs for them). */
  issuedTokens(): string[] {
    return [...this.#tokens.keys()];
  }

  /** Invalidates every issued token, as a key rotation or revocation would. */
  revokeTokens(): void {
    this.#tokens.clear();
  }

  /** Simulated ms during which a just-created action answers 404 on GET by id. */
  setActionVisibilityDelay(ms: number): void {
    this.#options.actionVisibilityDelayMs = ms;
  }

  resetRateLimits(): void {
    this.#limiter?.reset();
  }

  /** Machine actions of a machine as Defender would list them, newest first. */
  machineActions(machineId?: string, tenantId?: string): ReturnType<typeof actionEntity>[] {
    const tenant = this.#tenant(tenantId);
    const now = preciseNow();
    return tenant.actions
      .filter((a) => machineId === undefined || a.machineId === machineId.toLowerCase())
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((a) => actionEntity(tenant, a, now, this.url));
  }

  /** Isolation state derived the way Defender users must: from the newest Succeeded Isolate/Unisolate. */
  isIsolated(machineId: string, tenantId?: string): boolean {
    const tenant = this.#tenant(tenantId);
    const now = preciseNow();
    const newest = tenant.actions
      .filter((a) => a.machineId === machineId.toLowerCase() && (a.type === 'Isolate' || a.type === 'Unisolate'))
      .map((a) => ({ a, s: statusAt(tenant, a, now) }))
      .filter(({ s }) => s.status === 'Succeeded')
      .sort((x, y) => y.s.lastUpdate - x.s.lastUpdate)[0];
    return newest?.a.type === 'Isolate';
  }

  #tenant(tenantId?: string): TenantData {
    const id = tenantId ?? this.#apps[0]!.tenantId;
    const tenant = this.#tenants.get(id);
    if (!tenant) throw new Error(`no tenant ${id}`);
    return tenant;
  }

  // ---- HTTP ---------------------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const body = await readBody(req);
    const entry: RequestLogEntry = {
      seq: this.#log.length + 1,
      at: new Date().toISOString(),
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      endpoint: 'unknown',
      status: 0,
    };
    const route = this.#route(entry.method, url.pathname, url.searchParams.get('$filter'));
    entry.endpoint = route?.endpoint ?? 'unknown';
    entry.machineId = route?.machineId;
    entry.actionId = route?.actionId;
    this.#log.push(entry);

    const fault = route ? this.#takeFault(route) : undefined;
    try {
      if (fault && !fault.afterCommit) {
        entry.fault = fault.fault.kind;
        if (await this.#applyFault(fault.fault, res, entry)) return;
      }
      if (!route) throw apiError(404, 'NotFound', `No route for ${entry.method} ${url.pathname}`);
      const answer = await this.#dispatch(route, req, url, body, entry);
      if (fault?.afterCommit) {
        entry.fault = fault.fault.kind;
        if (await this.#applyFault(fault.fault, res, entry)) return;
      }
      send(res, entry, answer.status, answer.body, answer.headers);
    } catch (err) {
      if (err instanceof HttpAnswer) {
        send(res, entry, err.status, err.body, err.headers);
      } else {
        send(res, entry, 500, { error: { code: 'InternalServerError', message: String(err), target: randomUUID() } });
      }
    }
  }

  #route(
    method: string,
    path: string,
    filter: string | null,
  ): { endpoint: SimEndpoint; machineId?: string; actionId?: string; tenantId?: string } | undefined {
    let m: RegExpExecArray | null;
    if (method === 'POST' && (m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path))) {
      return { endpoint: 'token', tenantId: decodeURIComponent(m[1]!) };
    }
    const api = /^\/api(?:\/v1\.0)?(\/.*)$/.exec(path)?.[1];
    if (api === undefined) return undefined;
    if (method === 'GET' && api === '/machines') return { endpoint: 'listMachines' };
    if (method === 'GET' && (m = /^\/machines\/([^/]+)$/.exec(api)))
      return { endpoint: 'getMachine', machineId: decodeURIComponent(m[1]!) };
    if (method === 'POST' && (m = /^\/machines\/([^/]+)\/(isolate|unisolate)$/.exec(api))) {
      return {
        endpoint: m[2] === 'isolate' ? 'isolateMachine' : 'unisolateMachine',
        machineId: decodeURIComponent(m[1]!),
      };
    }
    if (method === 'GET' && api === '/machineactions') {
      // A list of one machine's actions is logged (and matched by faults) under that machine.
      const machines = [...(filter ?? '').matchAll(/\bmachineId eq '([^']*)'/g)].map((x) => x[1]!.replace(/''/g, "'"));
      return { endpoint: 'listMachineActions', ...(machines.length === 1 ? { machineId: machines[0] } : {}) };
    }
    if (method === 'GET' && (m = /^\/machineactions\/([^/]+)$/.exec(api)))
      return { endpoint: 'getMachineAction', actionId: decodeURIComponent(m[1]!) };
    if (method === 'POST' && (m = /^\/machineactions\/([^/]+)\/cancel$/.exec(api))) {
      return { endpoint: 'cancelMachineAction', actionId: decodeURIComponent(m[1]!) };
    }
    return undefined;
  }

  #takeFault(route: { endpoint: SimEndpoint; machineId?: string; actionId?: string }) {
    const rule = this.#faults.find((f) => {
      if (f.times !== undefined && f.hits >= f.times) return false;
      const match = f.match ?? {};
      if (match.endpoint) {
        const endpoints = Array.isArray(match.endpoint) ? match.endpoint : [match.endpoint];
        if (!endpoints.includes(route.endpoint)) return false;
      } else if (route.endpoint === 'token') {
        return false;
      }
      if (match.machineId && match.machineId.toLowerCase() !== route.machineId?.toLowerCase()) return false;
      if (match.actionId && match.actionId.toLowerCase() !== route.actionId?.toLowerCase()) return false;
      return true;
    });
    if (rule) rule.hits += 1;
    return rule;
  }

  /** Returns true when the fault has answered (or dropped) the request. */
  async #applyFault(fault: Fault, res: ServerResponse, entry: RequestLogEntry): Promise<boolean> {
    switch (fault.kind) {
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        return res.destroyed;
      case 'reset':
        entry.status = -1;
        res.socket?.destroy();
        return true;
      case 'malformed-json':
        entry.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "truncated", "status": ');
        return true;
      case 'html':
        entry.status = fault.status ?? 502;
        res
          .writeHead(entry.status, { 'content-type': 'text/html' })
          .end('<html><body><h1>502 Bad Gateway</h1>upstream proxy error</body></html>');
        return true;
      case 'redirect':
        entry.status = 302;
        res.writeHead(302, { location: fault.location }).end();
        return true;
      case 'status': {
        const headers: Record<string, string> = {};
        if (fault.status === 429 && fault.retryAfter !== null) headers['retry-after'] = String(fault.retryAfter ?? 1);
        const code = fault.code ?? defaultCode(fault.status);
        send(
          res,
          entry,
          fault.status,
          { error: { code, message: fault.message ?? code, target: randomUUID() } },
          headers,
        );
        return true;
      }
    }
  }

  async #dispatch(
    route: { endpoint: SimEndpoint; machineId?: string; actionId?: string; tenantId?: string },
    req: IncomingMessage,
    url: URL,
    body: string,
    entry: RequestLogEntry,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    if (route.endpoint === 'token') return this.#token(route.tenantId!, req, body, entry);

    const caller = this.#authenticate(req);
    entry.tenantId = caller.app.tenantId;
    entry.clientId = caller.app.clientId;
    if (this.#limiter) {
      const admitted = this.#limiter.tryAcquire(`${caller.app.tenantId}:${caller.app.clientId}`, Date.now());
      if (!admitted.ok) {
        entry.throttled = true;
        throw new HttpAnswer(
          429,
          {
            error: {
              code: 'TooManyRequests',
              message: 'API calls quota exceeded! maximum admitted 100 per 1m.',
              target: randomUUID(),
            },
          },
          { 'retry-after': this.#formatRetryAfter(admitted.retryAfterMs) },
        );
      }
    }
    const tenant = this.#tenant(caller.app.tenantId);
    const now = preciseNow();
    const roles = caller.app.roles ?? [ISOLATE_ROLE, 'Machine.Read.All'];
    const requireRoles = (needed: string[]) => {
      if (!needed.some((r) => roles.includes(r))) {
        throw apiError(
          403,
          'Forbidden',
          `Missing application roles. API required roles: ${needed.join(',')}, application roles: ${roles.join(',')}.`,
        );
      }
    };

    switch (route.endpoint) {
      case 'getMachine': {
        requireRoles(READ_ROLES);
        const key = route.machineId!.toLowerCase();
        const machine =
          tenant.machines.get(key) ??
          [...tenant.machines.values()].find((m) => m.computerDnsName.toLowerCase() === key);
        if (!machine)
          throw apiError(404, 'ResourceNotFound', `Machine ${route.machineId} was not found. OrgId: ${tenant.orgId}`);
        return {
          status: 200,
          body: { '@odata.context': `${this.url}/api/$metadata#Machines/$entity`, ...machineEntity(machine) },
        };
      }
      case 'listMachines': {
        requireRoles(READ_ROLES);
        const entities = [...tenant.machines.values()].map(machineEntity);
        const page = this.#page(url, entities, MACHINE_FILTER_FIELDS, 'Machines');
        // As documented ("List machines"): nothing to list is answered 404, not an empty value.
        if (page.value.length === 0) throw apiError(404, 'ResourceNotFound', 'No machines found');
        return { status: 200, body: page };
      }
      case 'isolateMachine':
      case 'unisolateMachine': {
        requireRoles([ISOLATE_ROLE]);
        const machine = tenant.machines.get(route.machineId!.toLowerCase());
        if (!machine)
          throw apiError(404, 'ResourceNotFound', `Machine ${route.machineId} was not found. OrgId: ${tenant.orgId}`);
        const json = parseJsonBody(body);
        const comment = json.Comment;
        entry.comment = typeof comment === 'string' ? comment : undefined;
        if (typeof comment !== 'string' || comment.trim() === '') {
          throw apiError(
            400,
            'InvalidRequestBody',
            'Request body is incorrect: Comment is required (body parameters are case-sensitive)',
          );
        }
        const type = route.endpoint === 'isolateMachine' ? 'Isolate' : 'Unisolate';
        let scope: string | null = null;
        if (type === 'Isolate') {
          const isolationType = json.IsolationType ?? 'Full';
          if (!['Full', 'Selective', 'UnManagedDevice'].includes(String(isolationType))) {
            throw apiError(
              400,
              'InvalidInput',
              `IsolationType '${String(isolationType)}' is not valid. Allowed values are: Full, Selective, UnManagedDevice.`,
            );
          }
          scope = String(isolationType);
        }
        const pending = tenant.actions.find(
          (a) => a.machineId === machine.id && a.type === type && isInFlight(statusAt(tenant, a, now).status),
        );
        if (pending) {
          const behavior = { ...DEFAULT_BEHAVIOR, ...machine.behavior };
          if (behavior.duplicateBehavior === 'return-existing') {
            return { status: 201, body: actionEntity(tenant, pending, now, this.url) };
          }
          throw apiError(400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
        }
        const action = planAction({
          tenant,
          machine,
          type,
          requestor: caller.app.displayName ?? caller.app.clientId,
          comment,
          scope,
          now,
          timeScale: this.timeScale,
        });
        entry.actionId = action.id;
        entry.committed = true;
        return { status: 201, body: actionEntity(tenant, action, now, this.url) };
      }
      case 'getMachineAction': {
        requireRoles(READ_ROLES);
        const action = this.#findAction(tenant, route.actionId!);
        const visibleAfter = (this.#options.actionVisibilityDelayMs ?? 1_000) / this.timeScale;
        if (!action || now - action.createdAt < visibleAfter) {
          throw apiError(404, 'ResourceNotFound', `MachineAction ${route.actionId} was not found`);
        }
        return { status: 200, body: actionEntity(tenant, action, now, this.url) };
      }
      case 'listMachineActions': {
        requireRoles(READ_ROLES);
        const visibleAfter = (this.#options.actionVisibilityDelayMs ?? 1_000) / this.timeScale;
        const entities = [...tenant.actions]
          // Eventual consistency: a just-created action is not listed yet either.
          .filter((a) => now - a.createdAt >= visibleAfter)
          .sort((a, b) => b.createdAt - a.createdAt)
          .map((a) => {
            const { '@odata.context': _context, ...entity } = actionEntity(tenant, a, now, this.url);
            return entity;
          });
        return { status: 200, body: this.#page(url, entities, ACTION_FILTER_FIELDS, 'MachineActions') };
      }
      case 'cancelMachineAction': {
        requireRoles([
          ISOLATE_ROLE,
          'Machine.CollectForensics',
          'Machine.RestrictExecution',
          'Machine.Scan',
          'Machine.Offboard',
          'Machine.StopAndQuarantine',
          'Machine.LiveResponse',
        ]);
        const action = this.#findAction(tenant, route.actionId!);
        if (!action) throw apiError(404, 'ResourceNotFound', `MachineAction ${route.actionId} was not found`);
        entry.machineId = action.machineId;
        const json = parseJsonBody(body);
        const comment = typeof json.Comment === 'string' ? json.Comment : undefined;
        entry.comment = comment;
        const { status } = statusAt(tenant, action, now);
        if (!isInFlight(status)) {
          throw apiError(
            400,
            'BadRequest',
            `Machine action ${action.id} is already in a final state (${status}) and cannot be cancelled`,
          );
        }
        action.cancelledAt = now;
        action.cancellationRequestor = caller.app.displayName ?? caller.app.clientId;
        action.cancellationComment = comment;
        entry.committed = true;
        return { status: 200, body: actionEntity(tenant, action, now, this.url) };
      }
    }
    throw apiError(404, 'NotFound', 'No such endpoint');
  }

  #findAction(tenant: TenantData, id: string): SimAction | undefined {
    return tenant.actions.find((a) => a.id === id.toLowerCase());
  }

  #page(url: URL, entities: Record<string, unknown>[], allowedFields: string[], set: string) {
    let rows = entities;
    const filter = url.searchParams.get('$filter');
    if (filter) {
      let tree;
      try {
        tree = parseFilter(filter);
      } catch (err) {
        if (err instanceof ODataSyntaxError) throw apiError(400, 'ODataError', `Invalid filter: ${err.message}`);
        throw err;
      }
      const unknown = filterFields(tree).find((f) => !allowedFields.includes(f.toLowerCase()));
      if (unknown) throw apiError(400, 'ODataError', `Filtering on '${unknown}' is not supported`);
      rows = rows.filter((row) => matches(tree, row));
    }
    const orderBy = url.searchParams.get('$orderby');
    if (orderBy) {
      const [field = '', direction = 'asc'] = orderBy.trim().split(/\s+/);
      const sign = direction.toLowerCase() === 'desc' ? -1 : 1;
      rows = [...rows].sort(
        (a, b) =>
          sign *
          (String(a[field] ?? '') < String(b[field] ?? '')
            ? -1
            : String(a[field] ?? '') > String(b[field] ?? '')
              ? 1
              : 0),
      );
    }
    const top = url.searchParams.has('$top') ? Number(url.searchParams.get('$top')) : 10_000;
    const skip = url.searchParams.has('$skip') ? Number(url.searchParams.get('$skip')) : 0;
    if (!Number.isInteger(top) || top < 0 || top > 10_000)
      throw apiError(400, 'BadRequest', 'Maximum page size is 10,000');
    if (!Number.isInteger(skip) || skip < 0) throw apiError(400, 'BadRequest', '$skip must be a non-negative integer');
    // Like MDE, no @odata.nextLink is returned when $top is given; callers page with $skip.
    return { '@odata.context': `${this.url}/api/$metadata#${set}`, value: rows.slice(skip, skip + top) };
  }

  #token(tenantId: string, req: IncomingMessage, body: string, entry: RequestLogEntry) {
    entry.tenantId = tenantId;
    const form = new URLSearchParams(body);
    const clientId = form.get('client_id') ?? '';
    entry.scope = form.get('scope') ?? undefined;
    entry.clientId = clientId || undefined;
    const aadError = (status: number, error: string, description: string) =>
      new HttpAnswer(status, {
        error,
        error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
        error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
        timestamp: new Date().toISOString(),
        trace_id: randomUUID(),
        correlation_id: randomUUID(),
      });
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      throw aadError(
        400,
        'invalid_request',
        'AADSTS900144: The request body must contain the following parameter: grant_type.',
      );
    }
    if (!this.#tenants.has(tenantId)) {
      throw aadError(400, 'invalid_request', `AADSTS90002: Tenant '${tenantId}' not found.`);
    }
    if (form.get('grant_type') !== 'client_credentials') {
      throw aadError(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    }
    const app = this.#apps.find((a) => a.tenantId === tenantId && a.clientId === clientId);
    if (!app) {
      throw aadError(
        400,
        'unauthorized_client',
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`,
      );
    }
    if (form.get('client_secret') !== app.clientSecret) {
      throw aadError(
        401,
        'invalid_client',
        `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    const scope = form.get('scope') ?? '';
    if (!/^https:\/\/\S+\/\.default$/.test(scope)) {
      throw aadError(
        400,
        'invalid_scope',
        `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const lifetime = this.#options.tokenLifetimeSeconds ?? 3599;
    const token = `eyJ0eXAiOiJKV1Qi.sim.${randomBytes(24).toString('base64url')}`;
    this.#tokens.set(token, {
      tenantId,
      clientId,
      validAudience: SIM_SCOPES.accepted.includes(scope),
      expiresAt: Date.now() + lifetime * 1000,
    });
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token },
    };
  }

  #authenticate(req: IncomingMessage): { app: SimApp } {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    const issued = token ? this.#tokens.get(token) : undefined;
    if (!issued || issued.expiresAt <= Date.now()) {
      throw apiError(401, 'Unauthorized', 'Unauthorized (invalid or expired authorization header)');
    }
    const app = this.#apps.find((a) => a.tenantId === issued.tenantId && a.clientId === issued.clientId)!;
    if (!issued.validAudience) {
      // What users saw with a token for the wrong audience: a valid token with none of the MDE roles.
      throw apiError(
        403,
        'Forbidden',
        'Missing application roles. API required roles: Machine.Read.All, application roles: .',
      );
    }
    return { app };
  }

  #formatRetryAfter(ms: number): string {
    const seconds = ms / 1000;
    // Real Defender sends whole seconds; a time-compressed simulator needs fractions to stay meaningful.
    return this.timeScale === 1
      ? String(Math.max(1, Math.ceil(seconds)))
      : String(Math.max(0.001, Math.ceil(seconds * 1000) / 1000));
  }
}

function apiError(status: number, code: string, message: string): HttpAnswer {
  return new HttpAnswer(status, { error: { code, message, target: randomUUID() } });
}

function defaultCode(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'ResourceNotFound';
  if (status >= 500) return 'InternalServerError';
  return 'BadRequest';
}

function parseJsonBody(body: string): Record<string, unknown> {
  try {
    const value = JSON.parse(body) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw apiError(400, 'InvalidRequestBody', 'Request body is incorrect');
}

function send(
  res: ServerResponse,
  entry: RequestLogEntry,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  entry.status = status;
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
