import { SimplePlugin } from '@temporalio/plugin';
import { Worker, type BundleOptions, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createApiActivities, createLocalActivities, type TenantApproval } from '../activities/index.js';
import type { DefenderClient } from '../activities/defender/client.js';
import { createNudgeActivities, nudgeChannelsOf, type NudgeUrls } from '../activities/nudge/index.js';
import { RateGate } from '../activities/rate-gate.js';
import {
  apiTaskQueue,
  isNudgeChannel,
  nudgeTaskQueue,
  rateBudgetWorkflowId,
  type NudgeChannel,
} from '../contract/index.js';
import {
  activitiesPerSecond,
  callWindows,
  watchFloor,
  createDefenderClient,
  DEFAULT_RATE_BUDGET,
  type RateBudget,
} from './defender.js';
import { resolveFromOurPackage, withOurWorkflows } from './combined-workflows.js';
import { ConfigError, DEFAULT_NUDGE_RATE_PER_SECOND, loadConfig } from './config.js';
import { isNudgeUrl, NUDGE_URL_RULE } from './nudge-config.js';
import { tenantsFromConfig, type DefenderTenantOptions } from './plugin-tenants.js';

export type { DefenderTenantOptions } from './plugin-tenants.js';

export const PLUGIN_NAME = 'defender-isolation';

export { WORKFLOW_NAMES } from './combined-workflows.js';

export interface DefenderIsolationPluginOptions {
  /**
   * Tenants by name; `default` serves releases that name no tenant. At least one. A tenant without `credentials` or
   * `client` is enough to bundle the workflows; running the API workers then refuses it.
   */
  tenants: Record<string, DefenderTenantOptions>;
  /** Per Defender request; keep below the activities' 60 s start-to-close timeout. Default 20 s. */
  requestTimeoutMs?: number;
  /**
   * `alongside` (default): running the worker also runs one API worker per tenant on `<taskQueue>-api[-<tenant>]`, on
   * the same connection. `none`: run them elsewhere, with `plugin.createApiWorkers(...)`.
   */
  apiWorkers?: 'alongside' | 'none';
  /** More options for the API workers (e.g. `maxConcurrentActivityTaskExecutions`). */
  apiWorkerOptions?: Partial<Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities'>>;
  /**
   * Nudges (tenants' `nudge` channels): posted at most `ratePerSecond` (default 1) by the worker on
   * `<taskQueue>-nudge`, with a link to the approvals page at `pageUrl` when given.
   */
  nudge?: { ratePerSecond?: number; pageUrl?: string | undefined; requestTimeoutMs?: number };
}

interface Tenant {
  name: string;
  /** Absent for a plugin made only to bundle the workflows: such a tenant cannot run API workers. */
  client: DefenderClient | undefined;
  rateBudget: RateBudget;
  rateLimitFallbackMs?: number;
}

/**
 * Adds the release workflows and their activities to a worker: `Worker.create({ ..., plugins: [plugin] })`.
 *
 * The worker keeps its own workflows: when it has a `workflowsPath`, the plugin registers a module that re-exports
 * that path's workflows plus ours. Every Defender call runs as an activity on the tenant's API task queue, whose
 * server-side rate limit is the tenant's budget; the plugin runs those API workers next to the worker it is added to.
 * Bundling the workflows at build time needs no credentials: `new DefenderIsolationPlugin()`.
 */
export class DefenderIsolationPlugin extends SimplePlugin {
  readonly tenants: readonly Tenant[];
  readonly #apiWorkers: 'alongside' | 'none';
  readonly #apiWorkerOptions: DefenderIsolationPluginOptions['apiWorkerOptions'];
  /** Webhook URLs by tenant and channel: secrets, handed to the nudge activity only. */
  readonly #nudgeUrls: NudgeUrls;
  readonly #nudge: NonNullable<DefenderIsolationPluginOptions['nudge']>;

  /** The tenants of the worker's environment (`DEFENDER_*`, `DEFENDER_TENANTS_FILE`), validated like the worker's. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): DefenderIsolationPlugin {
    const config = loadConfig(env);
    const tenants = tenantsFromConfig(config);
    if (Object.keys(tenants).length === 0) {
      throw new ConfigError(
        'invalid configuration: DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID and DEFENDER_CLIENT_SECRET (or DEFENDER_TENANTS_FILE) are required',
      );
    }
    return new DefenderIsolationPlugin({
      tenants,
      requestTimeoutMs: config.requestTimeoutMs,
      nudge: { ratePerSecond: config.nudge.ratePerSecond, pageUrl: config.nudge.pageUrl },
    });
  }

  constructor(options: DefenderIsolationPluginOptions = { tenants: { default: {} } }) {
    const tenants = Object.entries(options.tenants).map(([name, t]): Tenant => ({
      name,
      client:
        t.client ??
        (t.credentials
          ? createDefenderClient(t.credentials, { requestTimeoutMs: options.requestTimeoutMs, tenant: name })
          : undefined),
      rateBudget: checkedBudget(name, t.rateBudget ?? DEFAULT_RATE_BUDGET),
      rateLimitFallbackMs: t.rateLimitFallbackMs,
    }));
    if (tenants.length === 0) throw new TypeError('defender-isolation plugin: configure at least one tenant');
    const nudgeUrls = nudgeUrlsOf(options.tenants);
    super({
      name: PLUGIN_NAME,
      workflowsPath: (existing) => withOurWorkflows(existing),
      // The workflow worker runs local activities only; every Defender call runs on a tenant's API worker.
      activities: createLocalActivities({
        names: tenants.map((t) => t.name),
        watchFloorMs: Object.fromEntries(tenants.map((t) => [t.name, watchFloor(t.rateBudget)])),
        approval: approvalsOf(options.tenants),
        nudge: Object.fromEntries(tenants.map((t) => [t.name, nudgeChannelsOf(nudgeUrls, t.name)])),
      }),
    });
    this.#nudgeUrls = nudgeUrls;
    this.#nudge = options.nudge ?? {};
    this.tenants = tenants;
    this.#apiWorkers = options.apiWorkers ?? 'alongside';
    this.#apiWorkerOptions = options.apiWorkerOptions;
  }

  override configureBundler(options: BundleOptions): BundleOptions {
    return resolveFromOurPackage(super.configureBundler(options));
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    checkVersioning(options.workerDeploymentOptions);
    // A worker with a prebuilt bundle gets our workflows through the bundler (bundleWorkflowCode({ plugins })).
    if (options.workflowBundle !== undefined) {
      const configured = super.configureWorker({ ...options, workflowsPath: undefined });
      return { ...configured, workflowsPath: undefined, workflowBundle: options.workflowBundle };
    }
    return super.configureWorker(options);
  }

  override async runWorker(worker: Worker, next: (w: Worker) => Promise<void>): Promise<void> {
    const connection = worker.connection;
    if (this.#apiWorkers === 'none' || !connection) return super.runWorker(worker, next);
    const apiWorkers = await this.createApiWorkers({
      connection,
      namespace: worker.options.namespace,
      taskQueue: worker.options.taskQueue,
      workerDeploymentOptions: worker.options.workerDeploymentOptions,
    });
    let failure: unknown;
    const runs = apiWorkers.map((w) =>
      w.run().catch((err: unknown) => {
        // Without its API worker a tenant's releases would wait forever: stop the whole worker instead.
        failure ??= err;
        if (worker.getState() === 'RUNNING') worker.shutdown();
      }),
    );
    try {
      await super.runWorker(worker, next);
    } finally {
      for (const w of apiWorkers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(runs);
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * One worker per tenant on its API task queue, rate-limited to the tenant's budget, and, when a tenant has nudge
   * channels, one on `<taskQueue>-nudge`, rate-limited to the nudge budget. With Worker Versioning, they belong to the
   * workflow worker's version: a pinned release's activities run the code of the build it runs on.
   */
  async createApiWorkers(options: {
    connection: NativeConnection;
    namespace?: string;
    taskQueue: string;
    workerDeploymentOptions?: WorkerOptions['workerDeploymentOptions'];
  }): Promise<Worker[]> {
    const nudges = Object.keys(this.#nudgeUrls).length > 0 ? [this.#createNudgeWorker(options)] : [];
    return Promise.all([
      // Every tenant is checked before any worker polls: one without a client would take releases it cannot serve.
      ...this.tenants.map(clientOf).map(({ tenant, client }) =>
        Worker.create({
          ...this.#apiWorkerOptions,
          ...(options.workerDeploymentOptions ? { workerDeploymentOptions: options.workerDeploymentOptions } : {}),
          connection: options.connection,
          namespace: options.namespace,
          taskQueue: apiTaskQueue(options.taskQueue, tenant.name),
          activities: createApiActivities({
            defender: client,
            rateLimitFallbackMs: tenant.rateLimitFallbackMs,
            watchFloorMs: watchFloor(tenant.rateBudget),
            rateGate: rateGateOf(tenant, client, options.taskQueue),
          }),
          maxTaskQueueActivitiesPerSecond: activitiesPerSecond(tenant.rateBudget),
        }),
      ),
      ...nudges,
    ]);
  }

  #createNudgeWorker(options: Parameters<DefenderIsolationPlugin['createApiWorkers']>[0]): Promise<Worker> {
    return Worker.create({
      ...this.#apiWorkerOptions,
      ...(options.workerDeploymentOptions ? { workerDeploymentOptions: options.workerDeploymentOptions } : {}),
      connection: options.connection,
      namespace: options.namespace,
      taskQueue: nudgeTaskQueue(options.taskQueue),
      activities: createNudgeActivities({
        urls: this.#nudgeUrls,
        pageUrl: this.#nudge.pageUrl,
        requestTimeoutMs: this.#nudge.requestTimeoutMs,
      }),
      maxTaskQueueActivitiesPerSecond: this.#nudge.ratePerSecond ?? DEFAULT_NUDGE_RATE_PER_SECOND,
    });
  }
}

/** A tenant's budget, checked now: a ledger cannot count calls in windows of no length, and would refuse them all. */
function checkedBudget(tenant: string, budget: RateBudget): RateBudget {
  const within = (v: unknown, min: number, max: number) => typeof v === 'number' && v >= min && v <= max;
  const rules: [boolean, string][] = [
    [within(budget.perMinute, 1, 1e9), 'rateBudget.perMinute must be a number from 1 to 1e9'],
    [within(budget.perHour, 1, 6e10), 'rateBudget.perHour must be a number from 1 to 6e10'],
    [
      budget.timeScale === undefined || within(budget.timeScale, 1, 1e4),
      'rateBudget.timeScale must be from 1 to 10000',
    ],
    [budget.headroom === undefined || within(budget.headroom, 0.01, 1), 'rateBudget.headroom must be from 0.01 to 1'],
  ];
  const broken = rules.find(([ok]) => !ok);
  if (broken) throw new TypeError(`defender-isolation plugin: tenant "${tenant}": ${broken[1]}`);
  return budget;
}

/** The tenant's door to its call ledger (on the workflow task queue), unless it keeps the steady pace only. */
function rateGateOf(tenant: Tenant, client: DefenderClient, taskQueue: string): RateGate | undefined {
  if (tenant.rateBudget.burst === false) return undefined;
  return new RateGate({
    workflowId: rateBudgetWorkflowId(apiTaskQueue(taskQueue, tenant.name)),
    workflowTaskQueue: taskQueue,
    windows: callWindows(tenant.rateBudget),
    prepare: (signal) => client.prepare({ signal }),
  });
}

/** The tenants' webhook URLs, checked now and never printed: a URL that is not https would send its key in clear. */
function nudgeUrlsOf(tenants: Record<string, DefenderTenantOptions>): NudgeUrls {
  const urls = Object.create(null) as Record<string, Partial<Record<NudgeChannel, string>>>;
  for (const [name, t] of Object.entries(tenants)) {
    const configured = Object.entries(t.nudge ?? {}).filter(([, url]) => url !== undefined && url !== '');
    for (const [channel, url] of configured) {
      if (!isNudgeChannel(channel)) {
        throw new TypeError(`defender-isolation plugin: tenant "${name}": nudge channels are teams, slack and webhook`);
      }
      if (!isNudgeUrl(url))
        throw new TypeError(`defender-isolation plugin: tenant "${name}": nudge.${channel} ${NUDGE_URL_RULE}`);
    }
    if (configured.length > 0) urls[name] = Object.fromEntries(configured);
  }
  return urls;
}

/** The tenants' approval settings, checked now: a typo in a mode must not quietly mean named approvals. */
function approvalsOf(tenants: Record<string, DefenderTenantOptions>): Record<string, TenantApproval> {
  const approvals = Object.create(null) as Record<string, TenantApproval>;
  for (const [name, t] of Object.entries(tenants)) {
    if (!t.approval) continue;
    const { verification } = t.approval;
    if (verification !== undefined && verification !== 'required' && verification !== 'off') {
      throw new TypeError(
        `defender-isolation plugin: tenant "${name}": approval.verification must be 'required' or 'off'`,
      );
    }
    if (verification === 'required' && t.approval.issuers.length === 0) {
      throw new TypeError(`defender-isolation plugin: tenant "${name}": approval verification needs a trusted issuer`);
    }
    approvals[name] = t.approval;
  }
  return approvals;
}

function clientOf(tenant: Tenant): { tenant: Tenant; client: DefenderClient } {
  if (tenant.client) return { tenant, client: tenant.client };
  throw new ConfigError(
    `defender-isolation plugin: tenant "${tenant.name}" has no credentials or client, so it cannot call Defender; ` +
      'a plugin without them only bundles the workflows',
  );
}

/**
 * Releases and batches run start to end on the build they started on (PINNED): a release waiting a day for its
 * approval must not be replayed by other code. With Worker Versioning on, the worker's default must say so; a worker
 * may still annotate its own workflows AUTO_UPGRADE.
 */
function checkVersioning(deployment: WorkerOptions['workerDeploymentOptions']): void {
  if (deployment?.useWorkerVersioning && deployment.defaultVersioningBehavior !== 'PINNED') {
    throw new TypeError(
      `${PLUGIN_NAME} plugin: workerDeploymentOptions.defaultVersioningBehavior must be 'PINNED' (releases and ` +
        `batches run on the build they started on); annotate your own workflows AUTO_UPGRADE where you want that`,
    );
  }
}
