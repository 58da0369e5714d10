import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, createApiActivities } from '../activities/index.js';
import { apiTaskQueue } from '../workflows/watcher-definitions.js';
import { DefenderClient } from '../activities/defender/client.js';
import { ClientCredentialsTokenSource } from '../activities/defender/token.js';
import type { DefenderCredentials } from './config.js';

export const USER_AGENT = 'defender-isolation/0.1.0';

/** The workflows entry point, as .ts under tsx and .js once built. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export function createDefenderClient(
  credentials: DefenderCredentials,
  options: { requestTimeoutMs?: number } = {},
): DefenderClient {
  const tokens = new ClientCredentialsTokenSource({
    loginUrl: credentials.loginUrl,
    tenantId: credentials.tenantId,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    scope: credentials.scope,
    userAgent: USER_AGENT,
  });
  return new DefenderClient({
    apiUrl: credentials.apiUrl,
    tokens,
    userAgent: USER_AGENT,
    requestTimeoutMs: options.requestTimeoutMs,
  });
}

/** Defender's documented budget per application and tenant. */
export interface RateBudget {
  perMinute: number;
  perHour: number;
  /** >1 for a time-compressed simulator: the windows are this many times shorter. */
  timeScale?: number;
  /** Fraction of the budget to use, leaving room for the server's burst allowance and clock skew. */
  headroom?: number;
}

export const DEFAULT_RATE_BUDGET: RateBudget = { perMinute: 100, perHour: 1500, timeScale: 1, headroom: 0.97 };

/** The steady activity rate that keeps both windows of the budget: the binding one is usually the hourly one. */
export function activitiesPerSecond(budget: RateBudget): number {
  const scale = budget.timeScale ?? 1;
  return Math.min(budget.perMinute / 60, budget.perHour / 3600) * scale * (budget.headroom ?? 0.97);
}

export interface ReleaseWorkerOptions extends Partial<Omit<WorkerOptions, 'connection' | 'taskQueue' | 'activities'>> {
  connection: NativeConnection;
  taskQueue: string;
  defender: DefenderClient;
  rateBudget?: RateBudget;
}

export interface ReleaseWorkers {
  /** Workflows and local activities on `taskQueue`. */
  workflowWorker: Worker;
  /** Defender activities on `<taskQueue>-api`, rate-limited by the server for every worker of the queue. */
  apiWorker: Worker;
  run(): Promise<void>;
  shutdown(): void;
  runUntil<R>(promise: Promise<R>): Promise<R>;
}

/**
 * The release workers of one tenant. Every Defender call is an activity on the API task queue, one call per activity,
 * so the server-side `maxTaskQueueActivitiesPerSecond` of that queue is the tenant's call budget, shared by every
 * workflow and every worker process polling it.
 */
export async function createReleaseWorkers(options: ReleaseWorkerOptions): Promise<ReleaseWorkers> {
  const { defender, rateBudget, ...workerOptions } = options;
  const workflowWorker = await Worker.create({
    workflowsPath: WORKFLOWS_PATH,
    ...workerOptions,
    // Activities of releases started before the API queue existed still run here.
    activities: createActivities({ defender }),
  });
  const apiWorker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: apiTaskQueue(options.taskQueue),
    activities: createApiActivities({ defender }),
    maxTaskQueueActivitiesPerSecond: activitiesPerSecond(rateBudget ?? DEFAULT_RATE_BUDGET),
  });
  return {
    workflowWorker,
    apiWorker,
    async run() {
      await Promise.all([workflowWorker.run(), apiWorker.run()]);
    },
    shutdown() {
      for (const worker of [workflowWorker, apiWorker]) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      }
    },
    async runUntil<R>(promise: Promise<R>): Promise<R> {
      return workflowWorker.runUntil(apiWorker.runUntil(promise));
    },
  };
}
