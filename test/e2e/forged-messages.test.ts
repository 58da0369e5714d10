/**
 * The forged-message suite, on the real dev server against the simulator: every signal and update of the release and
 * its tenant watcher, forged with malformed bodies by a caller with nothing but client access, while a
 * real release is in flight. No outcome changes, no extra Defender call, the release ends as Defender says; junk
 * signals are capped by the server. Figures go to test-results/forged-messages.json (docs/reliability.md).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { approveRelease } from '../../client/release-client.js';
import { watcherWorkflowId, WATCHER_WORKFLOW_TYPE } from '../../contract/index.js';
import { MAX_SIGNALS_PER_RUN } from '../../dev/dev-server.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { RESULTS_DIR } from '../helpers/temporal.js';

const figures = {
  forgedMessages: 0,
  refusedUpdates: 0,
  wrongOutcomes: 0,
  extraDefenderCalls: 0,
  junkAccepted: 0,
  junkHistoryEvents: 0,
};

describe('forged messages, end to end', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('forged');
  });
  after(async () => {
    await h?.stop();
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, 'forged-messages.json'), `${JSON.stringify(figures, null, 2)}\n`);
  });

  /** Simulator requests about one machine: what a release costs Defender (the watcher's shared list is apart). */
  const callsFor = (machineId: string) => h.sim.requests.filter((r) => r.machineId === machineId).length;

  it('every signal and update of a release in flight, forged: nothing changes until Defender says so', async () => {
    const machine = h.sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
    const { handle, workflowId } = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'change-board', reason: 'CHG-7' },
    });
    const confirming = await h.waitForState(workflowId, 'confirming');
    const actionId = confirming.machineAction!.id;
    const before = callsFor(machine.id);
    const signals: [string, unknown][] = [
      ['machineActionFinal', { action: { id: actionId, status: 'InProgress' }, laterIsolate: null }],
      ['machineActionFinal', { action: { id: actionId, status: 'Succeeded' }, laterIsolate: 'none' }],
      ['machineActionFinal', { actionId }],
      ['machineActionFinal', { actionId: actionId.toUpperCase(), status: 'Succeeded' }],
      ['machineActionFinal', { actionId: randomUUID() }],
      ['machineActionFinal', { actionId: 'x'.repeat(100_000) }],
      ['machineActionFinal', null],
      ['machineActionFinal', 'Succeeded'],
      ['releaseOutcome', { machineId: machine.id, outcome: 'released' }],
      ['approve', { approver: 'bob@contoso.com' }],
      ['__proto__', { polluted: true }],
    ];
    for (const [name, body] of signals) await handle.signal(name, body);
    const updates: [string, unknown][] = [
      ['approve', { approver: 'bob@contoso.com' }],
      ['approve', { approver: 'b\u200bob@contoso.com', comment: 'x' }],
      ['reject', { approver: 'bob@contoso.com', reason: 'forged' }],
      ['approve', null],
      ['approve', { approver: 'x'.repeat(10_000) }],
      ['cancelRelease', null],
      ['cancelRelease', { by: 'b\u200bob@contoso.com', reason: 'forged' }],
      ['cancelRelease', { by: 'bob@contoso.com', reason: 'ok\nreleased by CISO' }],
      ['cancelRelease', { by: 'x'.repeat(10_000), reason: 'r'.repeat(100_000) }],
    ];
    for (const [name, body] of updates) {
      await assert.rejects(handle.executeUpdate(name, { args: [body] }));
      figures.refusedUpdates += 1;
    }
    figures.forgedMessages += signals.length + updates.length;
    // The watcher's messages, forged too: malformed registrations, and one for an action that does not exist.
    const watch = (body: unknown) =>
      h.client.workflow.signalWithStart(WATCHER_WORKFLOW_TYPE, {
        workflowId: watcherWorkflowId(h.taskQueue, null),
        taskQueue: h.taskQueue,
        args: [{ watched: [], tenant: null }],
        signal: 'watch',
        signalArgs: [body],
      });
    const good = { actionId: randomUUID(), machineId: machine.id, createdAt: new Date().toISOString() };
    for (const body of [
      { ...good, createdAt: '!', subscriber: workflowId, pollIntervalMs: 1 },
      { ...good, subscriber: workflowId, pollIntervalMs: Number.POSITIVE_INFINITY },
      { ...good, actionId, createdAt: '1970-01-01T00:00:00Z', subscriber: 'release-x\n[defender-isolation x]' },
      { ...good, subscriber: workflowId, pollIntervalMs: 1 },
      'not an object',
    ]) {
      await watch(body);
      figures.forgedMessages += 1;
    }
    // The release is still waiting on Defender, and asked Defender nothing more.
    const status = await h.waitForState(workflowId, 'confirming');
    assert.equal(status.result, null);
    assert.ok(h.sim.isIsolated(machine.id), 'nothing was released by a message');
    h.sim.bringOnline(machine.id);
    const result = await handle.result();
    if (result.outcome !== 'released' || h.sim.isIsolated(machine.id)) figures.wrongOutcomes += 1;
    assert.equal(result.outcome, 'released');
    assert.equal(result.machineActionId, actionId);
    assert.equal(h.sim.isIsolated(machine.id), false);
    assert.equal(h.unisolatePosts(machine.id), 1);
    figures.extraDefenderCalls += callsFor(machine.id) - before;
    assert.equal(callsFor(machine.id), before, 'no Defender call for any forged message');
  });

  it(`junk signals: the server takes at most ${MAX_SIGNALS_PER_RUN} per run`, async () => {
    // A run no worker polls: the server alone decides what it takes, and nothing else is recorded meanwhile.
    const target = await h.client.workflow.start('releaseMachine', {
      taskQueue: `${h.taskQueue}-unpolled`,
      workflowId: `junk-target-${h.taskQueue}`,
      args: [{ machineId: 'f'.repeat(40), comment: 'c', requestedBy: 'alice@contoso.com' }],
    });
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < MAX_SIGNALS_PER_RUN + 50; i++) {
      try {
        await target.signal(`junk-${i % 13}`, i);
        accepted += 1;
      } catch {
        refused += 1;
      }
    }
    figures.junkAccepted = accepted;
    const { events } = await target.fetchHistory();
    figures.junkHistoryEvents = events?.length ?? 0;
    await target.terminate('junk test done');
    assert.equal(accepted, MAX_SIGNALS_PER_RUN);
    assert.equal(refused, 50);
    assert.ok(figures.junkHistoryEvents <= MAX_SIGNALS_PER_RUN + 5, `history of ${figures.junkHistoryEvents} events`);
  });

  it('junk signals to a release in flight: dropped, and the release goes on as Defender says', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({ machineId: machine.id });
    await h.waitForState(workflowId, 'awaiting-approval');
    for (let i = 0; i < 100; i++) await handle.signal(`junk-${i % 13}`, { huge: 'x'.repeat(1_000) });
    figures.forgedMessages += 100;
    await approveRelease(h.client, workflowId, { approver: 'bob@contoso.com' });
    assert.equal((await handle.result()).outcome, 'released');
    assert.equal(h.sim.isIsolated(machine.id), false);
    assert.equal(h.unisolatePosts(machine.id), 1);
  });
});
