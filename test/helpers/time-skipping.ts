/**
 * The fast tier's harness: the time-skipping test server (a timer of a day passes in milliseconds), the real workflow
 * code, real local activities, and the API activities mocked by a FakeDefender. One per test file; the file's tests
 * run one after another, each waiting on one workflow result at a time (the test server's rule).
 */
import { existsSync } from 'node:fs';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createLocalActivities, type TenantApproval } from '../../activities/index.js';
import {
  apiTaskQueue,
  DEFAULT_TENANT,
  nudgeTaskQueue,
  SEARCH_ATTRIBUTES,
  type NudgeChannel,
  type NudgeRequest,
  statusQuery,
  type ReleaseRequest,
  type ReleaseState,
  type ReleaseStatus,
} from '../../contract/index.js';
import { resolveTestServer } from '../../dev/temporal-cli.js';
import { QUIET_BUNDLER_LOGGER } from '../../worker/bundle-workflows.js';
import { WORKFLOWS_PATH } from '../../worker/paths.js';
import type { releaseMachine } from '../../workflows/release/release-machine.js';
import { FakeDefender } from './fake-defender.js';
import { installTestRuntime, uniqueTaskQueue } from './temporal.js';

const INDEXED_KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
const GRPC_ALREADY_EXISTS = 6;

export interface FastHarness {
  env: TestWorkflowEnvironment;
  fake: FakeDefender;
  taskQueue: string;
  /** Starts a release (tests' defaults: 30 s polls, 1 h deadline); the id is unique per test. */
  start(
    request: Partial<ReleaseRequest> & { machineId: string },
    options?: { workflowId?: string },
  ): Promise<WorkflowHandle<typeof releaseMachine>>;
  status(handle: WorkflowHandle): Promise<ReleaseStatus>;
  /** Queries until the release is in `state` (time does not pass meanwhile: nothing waits on a result). */
  reach(handle: WorkflowHandle, state: ReleaseState): Promise<ReleaseStatus>;
  stop(): Promise<void>;
}

let bundle: Promise<WorkflowBundleOption> | undefined;

/** The workflows bundled once per process, or once per run when `npm test` bundled them already. */
function workflowBundle(): Promise<WorkflowBundleOption> {
  const prebuilt = process.env.TEST_WORKFLOW_BUNDLE;
  if (prebuilt && existsSync(prebuilt)) return Promise.resolve({ codePath: prebuilt });
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: QUIET_BUNDLER_LOGGER }).then(({ code }) => ({
    code,
  }));
  return bundle;
}

/** The time-skipping server with the project's search attributes, and a worker for the workflows and the fake. */
export async function startFastHarness(
  name: string,
  options: {
    tenants?: string[];
    approval?: Record<string, TenantApproval>;
    /** Per tenant, its nudge channels, and the (mocked) nudge activity that serves them. */
    nudge?: { channels: Record<string, NudgeChannel[]>; postNudge(nudge: NudgeRequest): Promise<void> };
  } = {},
): Promise<FastHarness> {
  installTestRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTestServer() } },
  });
  await registerSearchAttributes(env);
  const fake = new FakeDefender();
  const taskQueue = uniqueTaskQueue(name);
  const tenants = options.tenants ?? [DEFAULT_TENANT];
  const workers = [
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createLocalActivities({
        names: tenants,
        approval: options.approval,
        ...(options.nudge ? { nudge: options.nudge.channels } : {}),
      }),
    }),
    ...(options.nudge
      ? [
          await Worker.create({
            connection: env.nativeConnection,
            taskQueue: nudgeTaskQueue(taskQueue),
            activities: { postNudge: options.nudge.postNudge },
          }),
        ]
      : []),
    ...(await Promise.all(
      tenants.map((tenant) =>
        Worker.create({
          connection: env.nativeConnection,
          taskQueue: apiTaskQueue(taskQueue, tenant),
          activities: fake.activities(),
        }),
      ),
    )),
  ];
  const running = workers.map((w) => w.run());
  let count = 0;
  const harness: FastHarness = {
    env,
    fake,
    taskQueue,
    start: (request, options = {}) =>
      env.client.workflow.start<typeof releaseMachine>('releaseMachine', {
        taskQueue,
        workflowId: options.workflowId ?? `release-${request.machineId}-${(count += 1)}`,
        args: [
          {
            comment: 'Clean after re-imaging',
            requestedBy: 'alice@contoso.com',
            pollInterval: '30s',
            deadline: '1h',
            ...request,
          },
        ],
      }),
    status: (handle) => handle.query(statusQuery),
    async reach(handle, state) {
      for (let i = 0; i < 300; i++) {
        const status = await harness.status(handle).catch(() => undefined);
        if (status?.state === state) return status;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`${handle.workflowId} did not reach ${state} (is ${(await harness.status(handle)).state})`);
    },
    async stop() {
      for (const w of workers) w.shutdown();
      await Promise.all(running);
      await env.teardown();
    },
  };
  return harness;
}

async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, INDEXED_KEYWORD])),
    });
  } catch (err) {
    if ((err as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw err;
  }
}

/** The typed ApplicationFailure a workflow ended with. */
export async function endOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) {
    throw new Error(`expected the workflow to fail with an ApplicationFailure, got ${String(err)}`);
  }
  return err.cause;
}

/** Events of a history, by kind (the `...EventAttributes` key without its suffix). */
export async function eventKinds(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).map(
    (e) =>
      Object.keys(e)
        .find((k) => k.endsWith('EventAttributes'))
        ?.replace(/EventAttributes$/, '') ?? '?',
  );
}
