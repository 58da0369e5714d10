/** Exactly one release action through faults, crashes, duplicate triggers and cancellation. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { getReleaseStatus, startRelease } from '../../client/release-client.js';
import { createReleaseWorkers } from '../../worker/worker.js';
import { watcherWorkflowId } from '../../contract/index.js';
import { recordHistory } from '../helpers/histories.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { clientFor } from '../helpers/simulator.js';
import { prebuiltWorkflows, uniqueTaskQueue } from '../helpers/temporal.js';

const PRE_APPROVED = { preApprovedBy: 'bob@contoso.com', reason: 'CHG-7' };

describe('releaseMachine resilience', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('resilience');
  });
  after(async () => {
    await h?.stop();
  });

  const unisolateActions = (machineId: string) => h.sim.machineActions(machineId).filter((a) => a.type === 'Unisolate');

  it('a 500 before the POST reached Defender → retried, one action', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    h.sim.addFault({
      match: { endpoint: 'unisolateMachine', machineId: machine.id },
      times: 2,
      fault: { kind: 'status', status: 503 },
    });
    const { handle } = await h.start({ machineId: machine.id, approval: PRE_APPROVED });
    assert.equal((await handle.result()).outcome, 'released');
    assert.equal(unisolateActions(machine.id).length, 1);
    assert.equal(h.unisolatePosts(machine.id), 3);
  });

  it('a just-created action missing from Defender for a while (eventual consistency) is waited for', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    h.sim.setActionVisibilityDelay(2_500);
    try {
      const { handle } = await h.start({ machineId: machine.id, approval: PRE_APPROVED });
      assert.equal((await handle.result()).outcome, 'released');
      assert.equal(unisolateActions(machine.id).length, 1);
      assert.equal(h.unisolatePosts(machine.id), 1);
    } finally {
      h.sim.setActionVisibilityDelay(0);
    }
  });

  it('429 with Retry-After is honoured before the next call', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    h.sim.addFault({
      match: { endpoint: 'listMachineActions' },
      times: 1,
      fault: { kind: 'status', status: 429, retryAfter: 3 },
    });
    const { handle } = await h.start({ machineId: machine.id, approval: PRE_APPROVED });
    assert.equal((await handle.result()).outcome, 'released');
    const polls = h.sim.requests.filter((r) => r.endpoint === 'listMachineActions');
    const throttled = polls.findIndex((r) => r.status === 429);
    assert.ok(
      throttled >= 0 && polls[throttled + 1],
      `a poll after the 429: ${JSON.stringify(polls.map((r) => [r.seq, r.at, r.status, r.query.$filter?.slice(0, 40)]))}`,
    );
    const gap = Date.parse(polls[throttled + 1]!.at) - Date.parse(polls[throttled]!.at);
    assert.ok(gap >= 2_900, `waited ${gap} ms after Retry-After: 3 (poll interval is 1 s)`);
  });

  it('a duplicate start for the same machine joins the running release', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const request = { machineId: machine.id, comment: 'clean', requestedBy: 'playbook:incident-9', pollInterval: '1s' };
    const first = await startRelease(h.client, request, { taskQueue: h.taskQueue });
    const second = await startRelease(
      h.client,
      { ...request, requestedBy: 'playbook:incident-10' },
      { taskQueue: h.taskQueue },
    );
    assert.equal(first.workflowId, `release-${machine.id}`);
    assert.deepEqual([first.joined, second.joined], [false, true]);
    assert.equal(second.handle.workflowId, first.workflowId);
    assert.equal((await second.handle.describe()).runId, (await first.handle.describe()).runId);
    await h.waitForState(first.workflowId, 'awaiting-approval');
    await first.handle.cancel();
    await assert.rejects(first.handle.result());
  });

  it('cancelling the workflow cancels the pending Defender action, then ends cancelled', async () => {
    const machine = h.sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
    const { handle, workflowId } = await h.start({ machineId: machine.id, approval: PRE_APPROVED });
    const confirming = await h.waitForState(workflowId, 'confirming');
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
    const action = h.sim.machineActions(machine.id).find((a) => a.id === confirming.machineAction!.id)!;
    assert.equal(action.status, 'Cancelled');
    assert.match(action.cancellationComment ?? '', /Release cancelled in Temporal/);
    const status = await getReleaseStatus(h.client, workflowId);
    assert.equal(status.state, 'cancelled');
    assert.equal(status.machineAction?.status, 'Cancelled');
  });

  it("the watcher tells the other releases after one of its subscribers ended (nobody to tell isn't an error)", async () => {
    const gone = h.sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
    const waiting = h.sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
    const first = await h.start({ machineId: gone.id, approval: PRE_APPROVED });
    const second = await h.start({ machineId: waiting.id, approval: PRE_APPROVED });
    await h.waitForState(first.workflowId, 'confirming');
    await h.waitForState(second.workflowId, 'confirming');
    // The first release ends; its action, cancelled at Defender, is final at the watcher's next tick, while the
    // second's device is still offline: the watcher tells a release that is gone, then the one that waits.
    await first.handle.cancel();
    await assert.rejects(first.handle.result());
    assert.equal(h.sim.machineActions(gone.id).find((a) => a.type === 'Unisolate')?.status, 'Cancelled');
    h.sim.bringOnline(waiting.id);
    const result = await second.handle.result();
    assert.equal(result.outcome, 'released');
    recordHistory(
      h.env.address,
      h.client.workflow.getHandle(watcherWorkflowId(h.taskQueue)),
      'watcher-subscriber-gone',
    );
  });

  it('cancelling while awaiting approval sends nothing to Defender', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({ machineId: machine.id });
    await h.waitForState(workflowId, 'awaiting-approval');
    await handle.cancel();
    await assert.rejects(handle.result());
    assert.equal(h.unisolatePosts(machine.id), 0);
    assert.equal((await getReleaseStatus(h.client, workflowId)).state, 'cancelled');
  });

  it('a worker killed mid-confirmation: another worker resumes, no duplicate action', async () => {
    // Offline until the replacement worker runs: the action is pending for as long as the test needs, not for a time.
    const machine = h.sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
    const taskQueue = uniqueTaskQueue('killable');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/release-worker-process.ts', import.meta.url))],
      {
        env: { ...process.env, WORKER_TASK_QUEUE: taskQueue, SIMULATOR_URL: h.sim.url },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
    });
    const { handle } = await startRelease(
      h.client,
      { machineId: machine.id, comment: 'clean', requestedBy: 'alice', approval: PRE_APPROVED, pollInterval: '1s' },
      { taskQueue, workflowId: `killed-${taskQueue}` },
    );
    await h.waitForState(handle.workflowId, 'confirming', 60_000);
    child.kill('SIGKILL');
    await exited;

    const replacement = await createReleaseWorkers({
      rateBudget: { perMinute: 6000, perHour: 360_000 },
      ...prebuiltWorkflows(),
      connection: h.env.nativeConnection,
      namespace: h.env.namespace,
      taskQueue,
      defender: clientFor(h.sim, { requestTimeoutMs: 2_000 }),
    });
    h.sim.bringOnline(machine.id);
    const result = await replacement.runUntil(handle.result());
    assert.equal(result.outcome, 'released');
    assert.equal(unisolateActions(machine.id).length, 1, 'no duplicate release action');
    assert.equal(h.unisolatePosts(machine.id), 1);
    recordHistory(h.env.address, handle, 'worker-killed-mid-confirmation');
  });
});
