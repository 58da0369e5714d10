import { Worker, type NativeConnection, type WorkerOptions, type WorkerPlugin } from '@temporalio/worker';
import type { DefenderClient } from '../activities/defender/client.js';
import type { RateBudget } from './defender.js';
import { DefenderIsolationPlugin, type DefenderTenantOptions } from './plugin.js';

export {
  activitiesPerSecond,
  createDefenderClient,
  DEFAULT_RATE_BUDGET,
  USER_AGENT,
  type RateBudget,
} from './defender.js';
export { WORKFLOWS_PATH } from './paths.js';

export interface ReleaseWorkerOptions extends Partial<Omit<WorkerOptions, 'connection' | 'taskQueue' | 'activities'>> {
  connection: NativeConnection;
  taskQueue: string;
  /** The default tenant's client (shorthand for `tenants.default.client`)… */
  defender?: DefenderClient;
  /** …and its budget… */
  rateBudget?: RateBudget;
  /** …and its delay before retrying a 429 without Retry-After. */
  rateLimitFallbackMs?: number;
  /** More tenants (MSSP), by name. */
  tenants?: Record<string, DefenderTenantOptions>;
  requestTimeoutMs?: number;
  /** Nudges' budget and the approvals page they link to (the channels are the tenants'); docs/nudges.md. */
  nudge?: { ratePerSecond?: number; pageUrl?: string | undefined };
  /** Tracing (see tracing.ts): added to the workflow worker and to every tenant's API worker. */
  tracing?: WorkerPlugin;
  /**
   * Worker Versioning: this worker is build `buildId` of Worker Deployment `deploymentName`, releases and batches are
   * pinned to the build they start on (docs/operations.md). Absent: an unversioned worker.
   */
  deployment?: { deploymentName: string; buildId: string };
}

export interface ReleaseWorkers {
  /** Workflows and local activities on `taskQueue`; running it runs each tenant's API worker too. */
  worker: Worker;
  plugin: DefenderIsolationPlugin;
  run(): Promise<void>;
  shutdown(): void;
  runUntil<R>(promise: Promise<R>): Promise<R>;
}

/** A dedicated release worker: a plain Worker with the defender-isolation plugin. */
export async function createReleaseWorkers(options: ReleaseWorkerOptions): Promise<ReleaseWorkers> {
  const {
    defender,
    rateBudget,
    rateLimitFallbackMs,
    tenants,
    requestTimeoutMs,
    tracing,
    deployment,
    nudge,
    ...workerOptions
  } = options;
  const plugin = new DefenderIsolationPlugin({
    tenants: { ...(defender ? { default: { client: defender, rateBudget, rateLimitFallbackMs } } : {}), ...tenants },
    requestTimeoutMs,
    ...(nudge ? { nudge } : {}),
    ...(tracing ? { apiWorkerOptions: { plugins: [tracing] } } : {}),
  });
  const worker = await Worker.create({
    ...workerOptions,
    ...(deployment
      ? {
          workerDeploymentOptions: {
            useWorkerVersioning: true,
            version: deployment,
            defaultVersioningBehavior: 'PINNED',
          },
        }
      : {}),
    plugins: [plugin, ...(tracing ? [tracing] : []), ...(workerOptions.plugins ?? [])],
  });
  return {
    worker,
    plugin,
    run: () => worker.run(),
    shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    },
    runUntil: (promise) => worker.runUntil(promise),
  };
}
