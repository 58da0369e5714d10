/** releaseMachine on the real dev server against the simulator: every end of the contract. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  approveRelease,
  getReleaseStatus,
  InvalidReleaseRequestError,
  rejectRelease,
  ReleaseUpdateRefusedError,
} from '../../client/release-client.js';
import { approveUpdate, type ReleaseResult } from '../../contract/index.js';
import { recordHistory } from '../helpers/histories.js';
import { failureOf, startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';

async function updateEvents(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes,
  ).length;
}

describe('releaseMachine', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('release');
  });
  after(async () => {
    await h?.stop();
  });

  it('approve → one Unisolate → confirmed released, visible in search attributes, memo and history', async () => {
    const machine = h.sim.addMachine({ isolated: true, computerDnsName: 'finance-07.contoso.com' });
    const { handle, workflowId, joined } = await h.start({ machineId: machine.id.toUpperCase(), incidentId: 'INC-42' });
    assert.equal(joined, false);
    const waiting = await h.waitForState(workflowId, 'awaiting-approval');
    assert.equal(waiting.computerDnsName, 'finance-07.contoso.com');
    assert.equal(waiting.machineId, machine.id);
    assert.ok(waiting.approval.expiresAt);
    assert.equal(h.unisolatePosts(machine.id), 0, 'nothing sent before approval');

    const approved = await approveRelease(h.client, workflowId, {
      approver: 'bob@contoso.com',
      comment: 'verified clean',
    });
    assert.equal(approved.approval.decision?.by, 'bob@contoso.com');
    const result: ReleaseResult = await handle.result();
    assert.equal(result.outcome, 'released');
    assert.equal(result.requestedBy, 'alice@contoso.com');
    assert.equal(result.approvedBy, 'bob@contoso.com');
    assert.ok(result.machineActionId);
    assert.equal(h.unisolatePosts(machine.id), 1);
    assert.equal(h.sim.isIsolated(machine.id), false);

    const action = h.sim.machineActions(machine.id).find((a) => a.id === result.machineActionId)!;
    assert.equal(action.status, 'Succeeded');
    // The workflow id (and run) appended for correlation.
    const runPrefix = (await handle.describe()).runId.slice(0, 8);
    assert.equal(action.requestorComment, `Clean after re-imaging [defender-isolation ${workflowId} ${runPrefix}]`);

    const status = await getReleaseStatus(h.client, workflowId);
    assert.equal(status.state, 'released');
    assert.equal(status.machineAction?.how, 'posted');
    assert.equal(status.machineAction?.status, 'Succeeded');

    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get({ name: 'DefenderMachineId', type: 'KEYWORD' }), machine.id);
    assert.equal(description.typedSearchAttributes.get({ name: 'ReleaseState', type: 'KEYWORD' }), 'released');
    assert.equal(description.typedSearchAttributes.get({ name: 'IncidentId', type: 'KEYWORD' }), 'INC-42');
    assert.equal(description.memo?.requestedBy, 'alice@contoso.com');
    assert.equal(description.memo?.comment, 'Clean after re-imaging');
    assert.match(
      (await description.staticSummary()) ?? '',
      /Release 1e5b|Release [0-9a-f]{8}… from isolation for incident INC-42/,
    );
    assert.equal(await updateEvents(handle), 2, 'the approval is in history (accepted + completed)');
    recordHistory(h.env.address, handle, 'released-after-approval');

    // The UI's filter: visibility is eventually consistent, so poll briefly.
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      const query = `DefenderMachineId = '${machine.id}' AND ReleaseState = 'released' AND IncidentId = 'INC-42'`;
      for await (const w of h.client.workflow.list({ query })) found.push(w.workflowId);
      if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(found, [workflowId]);
  });

  it('pre-approved: no update needed, the decision is recorded', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'change-board', reason: 'CHG-1234' },
    });
    const result = await handle.result();
    assert.equal(result.outcome, 'released');
    assert.equal(result.approvedBy, 'change-board');
    const status = await getReleaseStatus(h.client, workflowId);
    assert.deepEqual(
      [status.approval.mode, status.approval.decision?.source, status.approval.decision?.comment],
      ['pre-approved', 'pre-approved', 'CHG-1234'],
    );
    // Its isolation history proves the machine exists, so it is not read, and the release stays within 30 events
    // however many polls its action took (the polls are the watcher's).
    assert.equal(h.sim.requests.filter((r) => r.endpoint === 'getMachine' && r.machineId === machine.id).length, 0);
    const events = (await handle.fetchHistory()).events!;
    assert.ok(events.length <= 30, `${events.length} events`);
    // No timer of a finished release looks pending in the UI: the deadline timer was cancelled when it confirmed.
    const started = events.filter((e) => e.timerStartedEventAttributes).length;
    const ended = events.filter((e) => e.timerFiredEventAttributes || e.timerCanceledEventAttributes).length;
    assert.equal(ended, started);
    recordHistory(h.env.address, handle, 'released-pre-approved');
  });

  it('reject → ReleaseRejected, nothing sent', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({ machineId: machine.id });
    await h.waitForState(workflowId, 'awaiting-approval');
    await rejectRelease(h.client, workflowId, { approver: 'bob@contoso.com', reason: 'still beaconing' });
    const failure = await failureOf(handle);
    assert.equal(failure.type, 'ReleaseRejected');
    assert.match(failure.message, /bob@contoso.com: still beaconing/);
    assert.equal(h.unisolatePosts(machine.id), 0);
    assert.equal((await getReleaseStatus(h.client, workflowId)).state, 'rejected');
    recordHistory(h.env.address, handle, 'rejected');
  });

  it('no decision before the timeout → ApprovalExpired, nothing sent', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({ machineId: machine.id, approval: { timeout: '2s' } });
    const failure = await failureOf(handle);
    assert.equal(failure.type, 'ApprovalExpired');
    assert.equal(h.unisolatePosts(machine.id), 0);
    await assert.rejects(approveRelease(h.client, workflowId, { approver: 'bob@contoso.com' }), (err: unknown) => {
      assert.ok(err instanceof ReleaseUpdateRefusedError, String(err));
      assert.match(err.message, /has already ended/);
      return true;
    });
    recordHistory(h.env.address, handle, 'approval-expired');
  });

  it('four-eyes, allowlist and state refusals are clear errors and leave no event in history', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({
      machineId: machine.id,
      requestedBy: 'Alice@Contoso.com',
      approval: { approvers: ['bob@contoso.com', 'carol@contoso.com'] },
    });
    await h.waitForState(workflowId, 'awaiting-approval');
    const refusals: [() => Promise<unknown>, RegExp][] = [
      [() => approveRelease(h.client, workflowId, { approver: 'alice@contoso.com' }), /four-eyes/],
      [() => approveRelease(h.client, workflowId, { approver: '  ALICE@contoso.com ' }), /four-eyes/],
      [() => rejectRelease(h.client, workflowId, { approver: 'alice@contoso.com', reason: 'x' }), /four-eyes/],
      [() => approveRelease(h.client, workflowId, { approver: 'mallory@contoso.com' }), /not an approver/],
      [() => approveRelease(h.client, workflowId, { approver: '' }), /non-empty/],
      [() => rejectRelease(h.client, workflowId, { approver: 'bob@contoso.com', reason: '' }), /reason/],
    ];
    for (const [call, message] of refusals) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof ReleaseUpdateRefusedError, String(err));
        assert.match(err.message, message);
        return true;
      });
    }
    // The raw client sees the same refusal as WorkflowUpdateFailedError.
    await assert.rejects(
      handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice@contoso.com' }] }),
      WorkflowUpdateFailedError,
    );
    assert.equal(await updateEvents(handle), 0, 'refused updates leave no trace in history');

    await approveRelease(h.client, workflowId, { approver: 'CAROL@contoso.com' });
    assert.equal((await handle.result()).approvedBy, 'CAROL@contoso.com');
    // After the decision, further decisions are refused too.
    await assert.rejects(
      approveRelease(h.client, workflowId, { approver: 'bob@contoso.com' }),
      ReleaseUpdateRefusedError,
    );
    assert.equal(await updateEvents(handle), 2);
    recordHistory(h.env.address, handle, 'refusals-then-approved');
  });

  it('invalid input: the client refuses it before starting anything', async () => {
    const before = h.sim.requests.length;
    await assert.rejects(
      h.start({ machineId: '../machineactions', comment: '' }),
      (err: unknown) =>
        err instanceof InvalidReleaseRequestError && /machineId/.test(err.message) && /comment/.test(err.message),
    );
    assert.equal(h.sim.requests.length, before);
  });

  it('invalid input from another client → InvalidInput naming the field, nothing sent to Defender', async () => {
    const before = h.sim.requests.length;
    const handle = await h.client.workflow.start('releaseMachine', {
      taskQueue: h.taskQueue,
      workflowId: `invalid-${h.taskQueue}`,
      args: [
        {
          machineId: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
          comment: 'x',
          requestedBy: 'alice',
          pollInterval: '10ms',
        },
      ],
    });
    const failure = await failureOf(handle);
    assert.equal(failure.type, 'InvalidInput');
    assert.match(failure.message, /pollInterval must be between 1s and 24h/);
    assert.equal(h.sim.requests.length, before, 'zero calls to Defender');
    assert.equal((await getReleaseStatus(h.client, handle.workflowId)).state, 'invalid-input');
    recordHistory(h.env.address, handle, 'invalid-input');
  });

  it('unknown machine → MachineNotFound, no POST', async () => {
    const missing = 'f'.repeat(40);
    const { handle } = await h.start({ machineId: missing, approval: { preApprovedBy: 'bob', reason: 'x' } });
    const failure = await failureOf(handle);
    assert.equal(failure.type, 'MachineNotFound');
    assert.equal(h.unisolatePosts(missing), 0);
    recordHistory(h.env.address, handle, 'machine-not-found');
  });

  it('already released (newest Succeeded is an Unisolate) → already-released without approval or POST', async () => {
    const machine = h.sim.addMachine({ isolated: true, behavior: { pendingMs: 10, inProgressMs: 10 } });
    const direct = await import('../helpers/simulator.js');
    await direct.clientFor(h.sim).unisolateMachine({ machineId: machine.id, comment: 'released by hand' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const posts = h.unisolatePosts(machine.id);
    const { handle } = await h.start({ machineId: machine.id });
    const result = await handle.result();
    assert.equal(result.outcome, 'already-released');
    assert.equal(result.machineActionId, undefined);
    assert.equal(h.unisolatePosts(machine.id), posts);
    recordHistory(h.env.address, handle, 'already-released');
  });

  it('a machine Defender never isolated → already-released', async () => {
    const machine = h.sim.addMachine();
    const { handle } = await h.start({ machineId: machine.id });
    assert.equal((await handle.result()).outcome, 'already-released');
  });

  it('an in-flight Unisolate is adopted: no second POST', async () => {
    const machine = h.sim.addMachine({ isolated: true, behavior: { pendingMs: 1_500, inProgressMs: 200 } });
    const direct = await import('../helpers/simulator.js');
    const theirs = await direct.clientFor(h.sim).unisolateMachine({ machineId: machine.id, comment: 'someone else' });
    const { handle, workflowId } = await h.start({ machineId: machine.id });
    const result = await handle.result();
    assert.equal(result.outcome, 'released');
    assert.equal(result.machineActionId, theirs.id);
    assert.equal(h.unisolatePosts(machine.id), 1, 'only theirs');
    assert.equal((await getReleaseStatus(h.client, workflowId)).machineAction?.how, 'adopted-in-flight');
    recordHistory(h.env.address, handle, 'adopted-in-flight');
  });

  it('an in-flight Isolate is cancelled first and recorded (MS docs #5903)', async () => {
    const machine = h.sim.addMachine({ isolated: true, behavior: { pendingMs: 300, inProgressMs: 200 } });
    h.sim.setBehavior(machine.id, { stuckPending: true });
    const direct = await import('../helpers/simulator.js');
    const isolate = await direct
      .clientFor(h.sim)
      .isolateMachine({ machineId: machine.id, comment: 'again', isolationType: 'Full' });
    h.sim.setBehavior(machine.id, { stuckPending: false });
    const { handle, workflowId } = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'bob', reason: 'x' },
    });
    const result = await handle.result();
    assert.equal(result.outcome, 'released');
    const status = await getReleaseStatus(h.client, workflowId);
    assert.equal(status.cancelledIsolationActionId, isolate.id);
    const cancelled = h.sim.machineActions(machine.id).find((a) => a.id === isolate.id)!;
    assert.equal(cancelled.status, 'Cancelled');
    assert.match(cancelled.cancellationComment ?? '', /Cancelled before release/);
    const cancelCall = h.sim.requests.findIndex(
      (r) => r.endpoint === 'cancelMachineAction' && r.actionId === isolate.id,
    );
    const post = h.sim.requests.findIndex((r) => r.endpoint === 'unisolateMachine' && r.machineId === machine.id);
    assert.ok(cancelCall >= 0 && cancelCall < post, 'cancelled before the POST');
    recordHistory(h.env.address, handle, 'isolate-cancelled-before-release');
    assert.equal(h.sim.isIsolated(machine.id), false);
  });

  for (const [outcome, type] of [
    ['Failed', 'MachineActionFailed'],
    ['TimeOut', 'MachineActionTimedOut'],
  ] as const) {
    it(`an action that ends ${outcome} → ${type}`, async () => {
      const machine = h.sim.addMachine({ isolated: true, behavior: { unisolateOutcome: outcome } });
      const { handle, workflowId } = await h.start({
        machineId: machine.id,
        approval: { preApprovedBy: 'bob', reason: 'x' },
      });
      const failure = await failureOf(handle);
      assert.equal(failure.type, type);
      assert.equal(h.unisolatePosts(machine.id), 1);
      assert.equal((await getReleaseStatus(h.client, workflowId)).machineAction?.status, outcome);
      recordHistory(h.env.address, handle, `action-${outcome.toLowerCase()}`);
    });
  }

  it('an action cancelled outside the workflow → MachineActionCancelled', async () => {
    const machine = h.sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
    const { handle, workflowId } = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'bob', reason: 'x' },
    });
    const confirming = await h.waitForState(workflowId, 'confirming');
    const direct = await import('../helpers/simulator.js');
    await direct
      .clientFor(h.sim)
      .cancelMachineAction({ actionId: confirming.machineAction!.id, comment: 'portal user' });
    const failure = await failureOf(handle);
    assert.equal(failure.type, 'MachineActionCancelled');
  });

  it('not final within the deadline → ReleaseDeadlineExceeded, and the action is cancelled at Defender', async () => {
    const machine = h.sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
    const { handle } = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'bob', reason: 'x' },
      deadline: '4s',
    });
    const failure = await failureOf(handle);
    assert.equal(failure.type, 'ReleaseDeadlineExceeded');
    const [action] = h.sim.machineActions(machine.id);
    assert.equal(action!.type, 'Unisolate');
    assert.equal(action!.status, 'Cancelled');
    recordHistory(h.env.address, handle, 'deadline-exceeded');
  });

  it('an Isolate that completes after the release → ReisolatedAfterRelease', async () => {
    const machine = h.sim.addMachine({
      isolated: true,
      behavior: { pendingMs: 1_500, inProgressMs: 200, isolateCompletesAfterRelease: true },
    });
    const { handle, workflowId } = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'bob', reason: 'x' },
    });
    await h.waitForState(workflowId, 'confirming');
    // An isolation issued while our release is pending, which Defender completes after it.
    const direct = await import('../helpers/simulator.js');
    await direct
      .clientFor(h.sim)
      .isolateMachine({ machineId: machine.id, comment: 'late isolate', isolationType: 'Full' });
    const failure = await failureOf(handle);
    assert.equal(failure.type, 'ReisolatedAfterRelease');
    assert.equal(h.sim.isIsolated(machine.id), true);
    recordHistory(h.env.address, handle, 'reisolated-after-release');
  });
});
