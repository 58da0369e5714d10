/**
 * Messages are claims: forged and malformed signals and start fields, sent as anyone with client access could, while
 * real releases are in flight. No outcome changes, no extra Defender call, every release ends as Defender says.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import {
  actionFinalSignal,
  DEFAULT_WATCH_FLOOR_MS,
  watcherWorkflowId,
  watchSignal,
  WATCHER_WORKFLOW_TYPE,
  type BulkReleaseRequest,
} from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import { endOf, eventKinds, startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

const preApproved = { preApprovedBy: 'change-board', reason: 'CHG-1' };

describe('forged messages change nothing', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('forged');
  });
  after(async () => {
    await h?.stop();
  });

  /** Defender calls made for one machine (the watcher's shared list calls are counted apart). */
  const callsFor = (machineId: string) => h.fake.calls.filter((c) => c.endsWith(machineId)).length;

  const markers = async (handle: WorkflowHandle) => (await eventKinds(handle)).filter((k) => k === 'markerRecorded');

  /** Waits until the release has made `count` local activity calls: how it shows it checked a nudge. */
  async function untilMarkers(handle: WorkflowHandle, count: number): Promise<void> {
    for (let i = 0; i < 300 && (await markers(handle)).length < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok((await markers(handle)).length >= count, 'the release checked the nudge against the watcher');
  }

  /** A pre-approved release following an action that stays pending until the test says otherwise. */
  async function confirmingRelease() {
    const machine = h.fake.addMachine();
    machine.unisolate = { outcome: 'Succeeded', looks: Number.POSITIVE_INFINITY };
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    await h.reach(handle, 'confirming');
    const action = h.fake.actions.find((a) => a.machineId === machine.id && a.type === 'Unisolate')!;
    return { machine, handle, action };
  }

  it('a forged machineActionFinal (Succeeded, Failed, or a bare nudge) is checked against the watcher and ignored', async () => {
    const { machine, handle, action } = await confirmingRelease();
    const before = (await markers(handle)).length;
    const callsBefore = callsFor(machine.id);
    const forged = (status: string) => ({
      actionId: action.id,
      action: { id: action.id, status, machineId: machine.id },
      laterIsolate: null,
    });
    await handle.signal(actionFinalSignal, forged('Succeeded'));
    await handle.signal(actionFinalSignal, forged('Failed'));
    await handle.signal(actionFinalSignal, { actionId: randomUUID() });
    await handle.signal(actionFinalSignal, null as never);
    // A check (nudges that come meanwhile coalesce), then a registration with the watcher again: two local activities.
    await untilMarkers(handle, before + 2);
    const status = await h.status(handle);
    assert.equal(status.state, 'confirming', 'a message ends nothing');
    assert.equal(status.result, null);
    assert.equal(callsFor(machine.id), callsBefore, 'no Defender call for a message');
    // Defender now says it is done: the release ends as Defender says.
    action.looksLeft = 1;
    const result = await handle.result();
    assert.equal(result.outcome, 'released');
    assert.equal(h.fake.posts(machine.id), 1);
  });

  it('a forged Failed for a watched action does not end the release MachineActionFailed', async () => {
    const { handle, action } = await confirmingRelease();
    const before = (await markers(handle)).length;
    await handle.signal(actionFinalSignal, { actionId: action.id, status: 'Failed' } as never);
    await untilMarkers(handle, before + 2);
    action.looksLeft = 1;
    assert.equal((await handle.result()).outcome, 'released');
  });

  it('malformed watch requests are dropped; the watcher goes on serving the tenant', async () => {
    const watcher = watcherWorkflowId(h.taskQueue, null);
    const forge = (request: object) =>
      h.env.client.workflow.signalWithStart(WATCHER_WORKFLOW_TYPE, {
        workflowId: watcher,
        taskQueue: h.taskQueue,
        args: [{ watched: [], tenant: null }],
        signal: watchSignal,
        signalArgs: [request as never],
      });
    const machineId = 'a'.repeat(40);
    const good = { actionId: randomUUID(), machineId, createdAt: new Date().toISOString(), subscriber: 'x' };
    await forge({ ...good, createdAt: '!', pollIntervalMs: 1_000 });
    await forge({ ...good, pollIntervalMs: Number.NaN });
    await forge({ ...good, subscriber: 'release-1\n[defender-isolation forged]', pollIntervalMs: 1_000 });
    await forge({ ...good, actionId: '../../etc', pollIntervalMs: 1_000 });
    await forge({ nothing: true });
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    assert.equal((await handle.result()).outcome, 'released');
    assert.notEqual((await h.env.client.workflow.getHandle(watcher).describe()).status.name, 'FAILED');
  });

  it('a watch for an action Defender never shows is dropped after 10 minutes; polls stay at the floor', async () => {
    const watcher = watcherWorkflowId(h.taskQueue, null);
    const ghost = randomUUID();
    await h.env.client.workflow.signalWithStart(WATCHER_WORKFLOW_TYPE, {
      workflowId: watcher,
      taskQueue: h.taskQueue,
      args: [{ watched: [], tenant: null }],
      signal: watchSignal,
      signalArgs: [
        {
          actionId: ghost,
          machineId: 'b'.repeat(40),
          createdAt: new Date().toISOString(),
          subscriber: 'x',
          pollIntervalMs: 1,
        },
      ],
    });
    const calls = () => h.fake.count('checkWatchedActions');
    const before = calls();
    await h.env.sleep('11m');
    const during = calls() - before;
    assert.ok(
      during <= (11 * 60_000) / DEFAULT_WATCH_FLOOR_MS + 1,
      `at most one list call per floor interval (made ${during})`,
    );
    await h.env.sleep('30m');
    assert.equal(calls() - before, during, 'no list call once it was dropped');
  });

  it('a start carrying precheck or reportTo is refused: only a bulk release sets them, for its own children', async () => {
    const machine = h.fake.addMachine();
    const precheck = { computerDnsName: 'x', newestSucceeded: null, inFlightUnisolate: null, inFlightIsolate: null };
    for (const forged of [{ precheck }, { reportTo: 'bulk-anything' }]) {
      const handle = await h.start({ machineId: machine.id, approval: preApproved, ...forged });
      const failure = await endOf(handle);
      assert.equal(failure.type, 'InvalidInput');
      assert.match(failure.message, /(precheck|reportTo) is set by a bulk release for the releases it starts/);
    }
    assert.equal(callsFor(machine.id), 0, 'Defender was not called');
    assert.ok(h.fake.isIsolated(machine.id));
  });

  it('signals of names no workflow handles are dropped: the release goes on and ends as Defender says', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id });
    await h.reach(handle, 'awaiting-approval');
    for (let i = 0; i < 200; i++) await handle.signal(`junk-${i % 7}`, { huge: 'x'.repeat(1_000) });
    await h.env.client.workflow.getHandle(handle.workflowId).executeUpdate('approve', {
      args: [{ approver: 'bob@contoso.com' }],
    });
    assert.equal((await handle.result()).outcome, 'released');
  });

  it("a batch does not take a release's word for its outcome", async () => {
    const failing = h.fake.addMachine();
    failing.unisolate = { outcome: 'Failed', looks: Number.POSITIVE_INFINITY };
    const request: BulkReleaseRequest = {
      machineIds: [failing.id],
      comment: 'Outbreak contained',
      requestedBy: 'alice@contoso.com',
      approval: { preApprovedBy: 'bob@contoso.com', reason: 'CAB-1' },
    };
    const handle: WorkflowHandle<typeof bulkRelease> = await h.env.client.workflow.start<typeof bulkRelease>(
      'bulkRelease',
      { taskQueue: h.taskQueue, workflowId: `bulk-forged-${h.taskQueue}`, args: [request] },
    );
    const child = h.env.client.workflow.getHandle(`release-${failing.id}`);
    await h.reach(child, 'confirming');
    await handle.signal('releaseOutcome', { machineId: failing.id, outcome: 'released' });
    h.fake.actions.find((a) => a.machineId === failing.id && a.type === 'Unisolate')!.looksLeft = 1;
    const report = await handle.result();
    assert.equal(report.outcomes[failing.id], 'failed:MachineActionFailed');
  });
});
