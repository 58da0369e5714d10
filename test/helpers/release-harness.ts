import assert from 'node:assert/strict';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { getReleaseStatus, startRelease, type StartedRelease } from '../../client/release-client.js';
import { DEFAULT_APP, type DefenderSimulator, type SimApp, type SimulatorOptions } from '../../simulator/index.js';
import type { DefenderCredentials } from '../../worker/defender.js';
import type { ReleaseRequest, ReleaseState, ReleaseStatus } from '../../contract/index.js';
import { createReleaseWorkers, type RateBudget, type ReleaseWorkers } from '../../worker/worker.js';
import { clientFor, startSimulator } from './simulator.js';
import { connectTestEnvironment, prebuiltWorkflows, uniqueTaskQueue } from './temporal.js';

export interface ReleaseHarness {
  env: TestWorkflowEnvironment;
  client: Client;
  sim: DefenderSimulator;
  taskQueue: string;
  workers: ReleaseWorkers;
  /** Starts a release with test-friendly defaults (1 s polls, 2 min deadline). */
  start(
    request: Partial<ReleaseRequest> & { machineId: string },
    options?: { workflowId?: string },
  ): Promise<StartedRelease>;
  /** Polls the status query until the release reaches one of `states`. */
  waitForState(workflowId: string, states: ReleaseState | ReleaseState[], timeoutMs?: number): Promise<ReleaseStatus>;
  /** Unisolate POSTs the simulator received for a machine (answered or not). */
  unisolatePosts(machineId: string): number;
  stop(): Promise<void>;
}

type WorkerOverrides = Partial<Parameters<typeof createReleaseWorkers>[0]>;

/** Credentials of one of the simulator's apps, as a worker's tenant configuration holds them. */
export function credentialsFor(sim: DefenderSimulator, app: SimApp = DEFAULT_APP): DefenderCredentials {
  return {
    apiUrl: sim.url,
    loginUrl: sim.url,
    tenantId: app.tenantId,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    scope: 'https://api.securitycenter.microsoft.com/.default',
  };
}

/** The run's dev server, a fresh simulator and a release worker on its own task queue. */
export async function startReleaseHarness(
  name: string,
  simulator: SimulatorOptions = {},
  rateBudget?: RateBudget,
  /** More worker options (tenants, tracing…), possibly built from the harness's simulator. */
  workerOptions: WorkerOverrides | ((sim: DefenderSimulator) => WorkerOverrides) = {},
): Promise<ReleaseHarness> {
  const env = await connectTestEnvironment();
  const sim = await startSimulator({ rateLimits: false, ...simulator });
  const taskQueue = uniqueTaskQueue(name);
  const overrides = typeof workerOptions === 'function' ? workerOptions(sim) : workerOptions;
  const workers = await createReleaseWorkers({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    defender: clientFor(sim, { requestTimeoutMs: 2_000 }),
    // Tests run many releases quickly; the budget is exercised by the bulk tests with a rate-limited simulator.
    rateBudget: rateBudget ?? { perMinute: 6000, perHour: 360_000 },
    // A tracing plugin adds its workflow interceptors when the workflows are bundled: no prebuilt bundle then.
    ...(overrides.tracing ? {} : prebuiltWorkflows()),
    ...overrides,
  });
  const running = workers.run();
  return {
    env,
    client: env.client,
    sim,
    taskQueue,
    workers,
    start(request, options = {}) {
      return startRelease(
        env.client,
        {
          comment: 'Clean after re-imaging',
          requestedBy: 'alice@contoso.com',
          pollInterval: '1s',
          deadline: '2m',
          ...request,
        },
        { taskQueue, workflowId: options.workflowId ?? `release-${request.machineId}-${taskQueue}` },
      );
    },
    async waitForState(workflowId, states, timeoutMs = 60_000) {
      const wanted = Array.isArray(states) ? states : [states];
      const deadline = Date.now() + timeoutMs;
      let last: ReleaseStatus | undefined;
      while (Date.now() < deadline) {
        try {
          last = await getReleaseStatus(env.client, workflowId);
          if (wanted.includes(last.state)) return last;
        } catch {
          // not started or no worker yet
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(
        `release ${workflowId} did not reach ${wanted.join('|')} (last state: ${last?.state ?? 'unknown'})`,
      );
    },
    unisolatePosts(machineId) {
      return sim.requests.filter((r) => r.endpoint === 'unisolateMachine' && r.machineId === machineId).length;
    },
    async stop() {
      workers.shutdown();
      await running;
      await sim.stop();
      await env.teardown();
    },
  };
}

/** The non-retryable ApplicationFailure a workflow ended with. */
export async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, `expected the workflow to fail, got ${String(err)}`);
  assert.ok(err.cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err.cause)}`);
  assert.equal(err.cause.nonRetryable, true);
  return err.cause;
}

/**
 * A harness whose simulator enforces Defender's 100/min and 1500/h per app+tenant, time-compressed `timeScale` times,
 * with actions that take two simulated minutes; the workers keep the same budget on the API task queue.
 */
export function startRateLimitedHarness(name: string, timeScale: number): Promise<ReleaseHarness> {
  return startReleaseHarness(
    name,
    {
      timeScale,
      rateLimits: { perMinute: 100, perHour: 1500 },
      defaultBehavior: { pendingMs: 60_000, inProgressMs: 60_000 },
    },
    { perMinute: 100, perHour: 1500, timeScale },
  );
}
