import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SimplePlugin } from '@temporalio/plugin';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createApiActivities, createLocalActivities } from '../activities/index.js';
import type { DefenderClient } from '../activities/defender/client.js';
import { apiTaskQueue } from '../contract/index.js';
import {
  activitiesPerSecond,
  watchFloor,
  createDefenderClient,
  DEFAULT_RATE_BUDGET,
  type DefenderCredentials,
  type RateBudget,
} from './defender.js';
import { PROJECT_ROOT, WORKFLOWS_PATH } from './paths.js';

export const PLUGIN_NAME = 'defender-isolation';

/** The workflow functions a worker must register (exported by `defender-isolation/workflows`). */
export const WORKFLOW_NAMES = ['releaseMachine', 'bulkRelease', 'machineActionWatcher'] as const;

export interface DefenderTenantOptions {
  /** The plugin builds the client (with its metrics hook)… */
  credentials?: DefenderCredentials;
  /** …or uses this one. */
  client?: DefenderClient;
  /** Defender's budget for this app and tenant; default 100/min and 1500/h. */
  rateBudget?: RateBudget;
  /** Delay before retrying a 429 that carried no Retry-After; default 60 s. */
  rateLimitFallbackMs?: number;
}

export interface DefenderIsolationPluginOptions {
  /** Tenants by name; `default` serves releases that name no tenant. At least one. */
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
}

interface Tenant {
  name: string;
  client: DefenderClient;
  rateBudget: RateBudget;
  rateLimitFallbackMs?: number;
}

/**
 * Adds the release workflows and their activities to a worker: `Worker.create({ ..., plugins: [plugin] })`.
 *
 * The worker keeps its own workflows: when it has a `workflowsPath`, the plugin registers a module that re-exports
 * that path's workflows plus ours. Every Defender call runs as an activity on the tenant's API task queue, whose
 * server-side rate limit is the tenant's budget; the plugin runs those API workers next to the worker it is added to.
 */
export class DefenderIsolationPlugin extends SimplePlugin {
  readonly tenants: readonly Tenant[];
  readonly #apiWorkers: 'alongside' | 'none';
  readonly #apiWorkerOptions: DefenderIsolationPluginOptions['apiWorkerOptions'];

  constructor(options: DefenderIsolationPluginOptions) {
    const tenants = Object.entries(options.tenants).map(([name, t]): Tenant => {
      const client =
        t.client ??
        (t.credentials
          ? createDefenderClient(t.credentials, { requestTimeoutMs: options.requestTimeoutMs, tenant: name })
          : undefined);
      if (!client) throw new TypeError(`tenant ${name}: give credentials or a client`);
      return {
        name,
        client,
        rateBudget: t.rateBudget ?? DEFAULT_RATE_BUDGET,
        rateLimitFallbackMs: t.rateLimitFallbackMs,
      };
    });
    if (tenants.length === 0) throw new TypeError('defender-isolation plugin: configure at least one tenant');
    super({
      name: PLUGIN_NAME,
      workflowsPath: (existing) => withOurWorkflows(existing),
      // The workflow worker runs local activities only; every Defender call runs on a tenant's API worker.
      activities: createLocalActivities({
        names: tenants.map((t) => t.name),
        watchFloorMs: Object.fromEntries(tenants.map((t) => [t.name, watchFloor(t.rateBudget)])),
      }),
    });
    this.tenants = tenants;
    this.#apiWorkers = options.apiWorkers ?? 'alongside';
    this.#apiWorkerOptions = options.apiWorkerOptions;
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
   * One worker per tenant on its API task queue, rate-limited to the tenant's budget. With Worker Versioning, they
   * belong to the workflow worker's version: a pinned release's activities run the code of the build it runs on.
   */
  async createApiWorkers(options: {
    connection: NativeConnection;
    namespace?: string;
    taskQueue: string;
    workerDeploymentOptions?: WorkerOptions['workerDeploymentOptions'];
  }): Promise<Worker[]> {
    return Promise.all(
      this.tenants.map((tenant) =>
        Worker.create({
          ...this.#apiWorkerOptions,
          ...(options.workerDeploymentOptions ? { workerDeploymentOptions: options.workerDeploymentOptions } : {}),
          connection: options.connection,
          namespace: options.namespace,
          taskQueue: apiTaskQueue(options.taskQueue, tenant.name),
          activities: createApiActivities({
            defender: tenant.client,
            rateLimitFallbackMs: tenant.rateLimitFallbackMs,
            watchFloorMs: watchFloor(tenant.rateBudget),
          }),
          maxTaskQueueActivitiesPerSecond: activitiesPerSecond(tenant.rateBudget),
        }),
      ),
    );
  }
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

const generated = new Set<string>();

/**
 * A worker has one workflows module. Ours alone when it has none; otherwise a generated module that re-exports the
 * worker's own workflows and ours (ours win a name clash, which Temporal would refuse at run time anyway).
 */
export function withOurWorkflows(existing: string | undefined): string {
  if (existing === undefined || existing === WORKFLOWS_PATH || generated.has(existing))
    return existing ?? WORKFLOWS_PATH;
  const source = [
    `// Generated by the ${PLUGIN_NAME} Temporal plugin: the worker's workflows plus the release workflows.`,
    `export * from ${JSON.stringify(existing)};`,
    `export { ${WORKFLOW_NAMES.join(', ')} } from ${JSON.stringify(WORKFLOWS_PATH)};`,
    '',
  ].join('\n');
  const name = `${createHash('sha256').update(source).digest('hex').slice(0, 16)}.js`;
  // The bundler resolves @temporalio/workflow from the module's folder: it must sit where node_modules is found, so in
  // our package (ignored .cache folder), or else next to the worker's own workflows.
  for (const dir of [path.join(PROJECT_ROOT, '.cache', 'workflows'), path.dirname(existing)]) {
    try {
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, dir === path.dirname(existing) ? `.defender-isolation-${name}` : name);
      writeFileSync(file, source);
      generated.add(file);
      return file;
    } catch {
      // read-only: try the next place
    }
  }
  throw new Error(
    `${PLUGIN_NAME} plugin: cannot write the combined workflows module; re-export ${WORKFLOW_NAMES.join(', ')} ` +
      `from 'defender-isolation/workflows' in ${existing} and pass it as workflowsPath`,
  );
}
