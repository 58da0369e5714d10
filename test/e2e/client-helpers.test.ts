/**
 * The client helpers where a team's setup is wrong: a task queue nobody serves, a start that joins a release on
 * another queue, a namespace without our search attributes, a release that does not answer in time. Each is named,
 * never a silent hang. And waitForApproval, the helper a playbook waits on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import Long from 'long';
import {
  approveRelease,
  getReleaseStatus,
  ReleaseTimeoutError,
  SearchAttributesMissingError,
  startRelease,
  TaskQueueMismatchError,
  TaskQueueNotServedError,
  waitForApproval,
} from '../../client/index.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { uniqueTaskQueue } from '../helpers/temporal.js';

const request = (machineId: string) => ({
  machineId,
  comment: 'Clean after re-imaging',
  requestedBy: 'alice@contoso.com',
});

describe('client helpers', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('client-helpers');
  });
  after(() => h?.stop());

  it('waitForApproval returns once the release awaits a decision, with who may decide and until when', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { workflowId } = await h.start({ machineId: machine.id, approval: { approvers: ['bob@contoso.com'] } });
    const status = await waitForApproval(h.client, workflowId, { timeoutMs: 30_000 });
    assert.equal(status.state, 'awaiting-approval');
    assert.deepEqual(status.approval.approvers, ['bob@contoso.com']);
    assert.ok(status.approval.expiresAt && Date.parse(status.approval.expiresAt) > Date.now());
  });

  it('waitForApproval waits for a release not started yet, and times out naming it', async () => {
    const workflowId = `release-never-${uniqueTaskQueue('x')}`;
    const started = Date.now();
    await assert.rejects(waitForApproval(h.client, workflowId, { timeoutMs: 1_500 }), (err: unknown) => {
      assert.ok(err instanceof ReleaseTimeoutError);
      assert.equal(err.type, 'Timeout');
      assert.match(err.message, new RegExp(`${workflowId}: not started after 1.5 s`));
      return true;
    });
    assert.ok(Date.now() - started >= 1_000, 'it waited');
  });

  it('startRelease refuses a task queue no worker polls, naming the queue and the namespace', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const queue = uniqueTaskQueue('nobody');
    await assert.rejects(
      startRelease(h.client, request(machine.id), { taskQueue: queue, waitForWorkerMs: 500 }),
      (err: unknown) => {
        assert.ok(err instanceof TaskQueueNotServedError);
        assert.equal(err.type, 'NoWorker');
        assert.match(
          err.message,
          new RegExp(`no worker polls task queue "${queue}" in namespace "${h.env.namespace}"`),
        );
        return true;
      },
    );
    const listed = await h.client.workflow.count(`WorkflowId = "release-${machine.id}"`);
    assert.equal(listed.count, 0, 'nothing was started');
  });

  it('a start that joins a release running on another task queue says so instead of joining silently', async () => {
    // The stuck release of the issue: started (by a client that did not look) on a queue no worker polls.
    const machine = h.sim.addMachine({ isolated: true });
    const stuck = uniqueTaskQueue('stuck');
    const workflowId = `release-${machine.id}-${stuck}`;
    await startRelease(h.client, request(machine.id), { taskQueue: stuck, workflowId, waitForWorkerMs: 0 });
    try {
      await assert.rejects(
        startRelease(h.client, request(machine.id), { taskQueue: h.taskQueue, workflowId }),
        (err: unknown) => {
          assert.ok(err instanceof TaskQueueMismatchError);
          assert.equal(err.type, 'TaskQueueMismatch');
          assert.match(err.message, new RegExp(`already running on task queue "${stuck}", not "${h.taskQueue}"`));
          return true;
        },
      );
    } finally {
      await h.client.workflow.getHandle(workflowId).terminate('test cleanup');
    }
  });

  it('an approval of a release nobody serves times out naming the unserved task queue', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const queue = uniqueTaskQueue('unserved');
    const { workflowId } = await startRelease(h.client, request(machine.id), {
      taskQueue: queue,
      workflowId: `release-${machine.id}-${queue}`,
      waitForWorkerMs: 0,
    });
    try {
      for (const call of [
        () => approveRelease(h.client, workflowId, { approver: 'bob@contoso.com' }, { timeoutMs: 2_000 }),
        () => getReleaseStatus(h.client, workflowId, { timeoutMs: 2_000 }),
      ]) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof ReleaseTimeoutError, String(err));
          assert.match(err.message, /no answer within 2 s/);
          assert.match(err.message, new RegExp(`no worker polls task queue "${queue}"`));
          return true;
        });
      }
    } finally {
      await h.client.workflow.getHandle(workflowId).terminate('test cleanup');
    }
  });

  it('a namespace without the search attributes is named, with how to register them', async () => {
    const namespace = `no-attributes-${uniqueTaskQueue('ns')}`;
    await h.env.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) },
    });
    const client = new Client({ connection: h.env.connection, namespace });
    const machine = h.sim.addMachine({ isolated: true });
    const started = await retryWhileNamespaceIsNew(() =>
      startRelease(client, request(machine.id), { taskQueue: h.taskQueue, waitForWorkerMs: 0 }),
    );
    assert.ok(started instanceof SearchAttributesMissingError, String(started));
    assert.equal(started.type, 'SearchAttributesMissing');
    assert.match(started.message, new RegExp(`namespace "${namespace}" lacks the search attributes`));
    assert.match(started.message, /DefenderMachineId, ReleaseState, IncidentId/);
    assert.match(started.message, /temporal operator search-attribute create/);
  });
});

/** A namespace just registered may not be known to every part of the server for a moment. */
async function retryWhileNamespaceIsNew(start: () => Promise<unknown>): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    const outcome = await start().then(
      (v) => v,
      (e: unknown) => e,
    );
    const notYet = outcome instanceof Error && /namespace.*not found/i.test(outcome.message);
    if (!notYet || attempt >= 40) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
