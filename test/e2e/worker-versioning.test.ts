/**
 * Worker Versioning as docs/operations.md rolls out a new build: build A serves, a release starts on A and waits for
 * its approval; build B starts and is made current with the stock `temporal worker deployment` commands; a new release
 * goes to B while the first keeps running on A (PINNED); both end released. The tenant's watcher, long-lived, moves to
 * B when it next continues as new.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { approveRelease, getReleaseStatus, startRelease } from '../../client/release-client.js';
import { watcherWorkflowId } from '../../contract/index.js';
import { resolveTemporalCli } from '../../dev/temporal-cli.js';
import type { DefenderSimulator } from '../../simulator/index.js';
import { createReleaseWorkers, type ReleaseWorkers } from '../../worker/worker.js';
import { clientFor, startSimulator } from '../helpers/simulator.js';
import { connectTestEnvironment, prebuiltWorkflows, testServer, uniqueTaskQueue } from '../helpers/temporal.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

const deploymentName = `defender-isolation-${Math.random().toString(36).slice(2, 8)}`;

/** The operator's command line, as docs/operations.md gives it. */
async function temporal(...args: string[]): Promise<string> {
  const { address, namespace } = await testServer();
  const run = spawnSync(resolveTemporalCli().path, [...args, '--address', address, '--namespace', namespace], {
    encoding: 'utf8',
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
  });
  assert.equal(run.status, 0, `temporal ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The server knows a build once its pollers reached it, with both of its task queues. */
async function waitForBuild(client: Client, buildId: string, taskQueues: string[]): Promise<void> {
  await until(`build ${buildId} with ${taskQueues.join(', ')}`, async () => {
    const { workerDeploymentVersionInfo } = await client.workflowService.describeWorkerDeploymentVersion({
      namespace: client.options.namespace,
      deploymentVersion: { deploymentName, buildId },
    });
    const seen = new Set(workerDeploymentVersionInfo?.taskQueueInfos?.map((q) => q.name));
    return taskQueues.every((q) => seen.has(q)) ? true : undefined;
  });
}

/** Which builds completed the workflow tasks of a run (from its history). */
async function buildsOf(client: Client, workflowId: string, runId?: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const builds = (history.events ?? []).flatMap((e) => {
    const buildId = e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId;
    return buildId ? [buildId] : [];
  });
  return [...new Set(builds)];
}

describe('Worker Versioning: a rollout from build A to build B', () => {
  let env: TestWorkflowEnvironment;
  let sim: DefenderSimulator;
  const taskQueue = uniqueTaskQueue('versioning');
  const builds: { workers: ReleaseWorkers; running: Promise<void> }[] = [];

  async function startBuild(buildId: string): Promise<void> {
    const workers = await createReleaseWorkers({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      defender: clientFor(sim, { requestTimeoutMs: 2_000 }),
      rateBudget: { perMinute: 6000, perHour: 360_000 },
      deployment: { deploymentName, buildId },
      ...prebuiltWorkflows(),
    });
    builds.push({ workers, running: workers.run() });
    await waitForBuild(env.client, buildId, [taskQueue, `${taskQueue}-api`]);
    await temporal(
      'worker',
      'deployment',
      'set-current-version',
      '--deployment-name',
      deploymentName,
      '--build-id',
      buildId,
      '--yes',
    );
    await until(`build ${buildId} current`, async () => {
      const { workerDeploymentInfo } = await env.client.workflowService.describeWorkerDeployment({
        namespace: env.client.options.namespace,
        deploymentName,
      });
      return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId === buildId ? true : undefined;
    });
  }

  before(async () => {
    env = await connectTestEnvironment();
    sim = await startSimulator({ rateLimits: false });
  });
  after(async () => {
    for (const build of builds) build.workers.shutdown();
    await Promise.all(builds.map((b) => b.running));
    await sim?.stop();
    await env?.teardown();
  });

  it('a release started on A finishes on A; one started after B is current runs on B; the watcher moves to B', async () => {
    await startBuild('A');
    // A device that is offline: its release's action stays Pending, so the tenant's watcher starts (on A) and waits.
    const offline = sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
    const onA = sim.addMachine({ isolated: true });
    const request = { comment: 'Clean after re-imaging', requestedBy: 'alice@contoso.com', pollInterval: '1s' };
    const approval = { preApprovedBy: 'bob@contoso.com', reason: 'CHG-1' };
    const first = await startRelease(env.client, { ...request, machineId: offline.id, approval }, { taskQueue });
    await until('the offline release confirming', async () =>
      (await getReleaseStatus(env.client, first.workflowId)).state === 'confirming' ? true : undefined,
    );
    const second = await startRelease(env.client, { ...request, machineId: onA.id }, { taskQueue });
    await until('the second release awaiting approval on A', async () =>
      (await getReleaseStatus(env.client, second.workflowId)).state === 'awaiting-approval' ? true : undefined,
    );
    const watcher = watcherWorkflowId(taskQueue);
    assert.deepEqual(await buildsOf(env.client, watcher), ['A']);

    await startBuild('B');
    const onB = sim.addMachine({ isolated: true });
    const third = await startRelease(env.client, { ...request, machineId: onB.id }, { taskQueue });
    await until('the third release awaiting approval', async () =>
      (await getReleaseStatus(env.client, third.workflowId)).state === 'awaiting-approval' ? true : undefined,
    );
    await approveRelease(env.client, second.workflowId, { approver: 'bob@contoso.com' });
    await approveRelease(env.client, third.workflowId, { approver: 'bob@contoso.com' });
    sim.bringOnline(offline.id);

    for (const started of [first, second, third]) assert.equal((await started.handle.result()).outcome, 'released');
    assert.deepEqual(await buildsOf(env.client, first.workflowId), ['A'], 'pinned to the build it started on');
    assert.deepEqual(await buildsOf(env.client, second.workflowId), ['A'], 'pinned through a wait for approval');
    assert.deepEqual(await buildsOf(env.client, third.workflowId), ['B']);
    const described = await env.client.workflow.getHandle(second.workflowId).describe();
    assert.equal(described.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId, 'A');

    // The watcher's first run ran on A only; the run it continued as once B was current runs on B.
    const watcherRuns = await until('the watcher on B', async () => {
      const latest = await env.client.workflow.getHandle(watcher).describe();
      const builds = await buildsOf(env.client, watcher, latest.runId);
      return builds.length > 0 && builds.every((b) => b === 'B') ? latest : undefined;
    });
    assert.ok(watcherRuns.raw.workflowExecutionInfo?.firstRunId !== watcherRuns.runId, 'a new run of the watcher');
    assert.deepEqual(await buildsOf(env.client, watcher, watcherRuns.raw.workflowExecutionInfo!.firstRunId!), ['A']);
  });
});
