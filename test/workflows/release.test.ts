/**
 * releaseMachine, branch by branch, on the time-skipping server with Defender mocked: the story (validate → check →
 * approve → release → confirm → verify) and every way it ends, without waiting for any timer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  WithStartWorkflowOperation,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import { approveRelease, cancelRelease, rejectRelease } from '../../client/release-client.js';
import {
  actionFinalSignal,
  approveUpdate,
  cancelReleaseUpdate,
  DefenderFailureType,
  DefenderMachineIdAttribute,
  IncidentIdAttribute,
  rejectUpdate,
  ReleaseStateAttribute,
} from '../../contract/index.js';
import type { releaseMachine } from '../../workflows/release/release-machine.js';
import { EXIT, runCli } from '../../client/cli.js';
import { recordHistory } from '../helpers/histories.js';
import { FORGING_WORKFLOW_ID, LOOK_ALIKES_OF_ALICE } from '../helpers/look-alikes.js';
import { endOf, eventKinds, startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

const bob = { approver: 'bob@contoso.com' };

/** Waits for something the workflow does (a Defender call) — an event, never a span of time. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(done(), 'it happened');
}
const preApproved = { preApprovedBy: 'change-board', reason: 'CHG-1' };

describe('releaseMachine: approval', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('release-approval');
  });
  after(async () => {
    await h?.stop();
  });

  it('approved: one POST, confirmed, verified; status, search attributes, memo and timers tell the story', async () => {
    const machine = h.fake.addMachine({ computerDnsName: 'finance-07.contoso.com' });
    const handle = await h.start({ machineId: machine.id.toUpperCase(), incidentId: 'INC-42' });
    const waiting = await h.reach(handle, 'awaiting-approval');
    assert.equal(waiting.machineId, machine.id);
    assert.equal(waiting.computerDnsName, 'finance-07.contoso.com');
    assert.ok(waiting.approval.expiresAt);
    assert.equal(h.fake.posts(machine.id), 0, 'nothing sent before approval');

    const approved = await approveRelease(h.env.client, handle.workflowId, { ...bob, comment: 'EDR scan clean' });
    assert.equal(approved.approval.decision?.by, 'bob@contoso.com');
    const result = await handle.result();
    assert.deepEqual([result.outcome, result.approvedBy, result.verified], ['released', 'bob@contoso.com', true]);
    assert.equal(h.fake.posts(machine.id), 1);
    assert.equal(h.fake.isIsolated(machine.id), false);
    const action = h.fake.actions.find((a) => a.id === result.machineActionId)!;
    const { runId } = await handle.describe();
    assert.equal(
      action.comment,
      `Clean after re-imaging [defender-isolation ${handle.workflowId} ${runId.slice(0, 8)}]`,
    );

    const status = await h.status(handle);
    assert.deepEqual(
      [status.state, status.machineAction?.how, status.machineAction?.status],
      ['released', 'posted', 'Succeeded'],
    );
    const described = await handle.describe();
    assert.equal(described.typedSearchAttributes.get(ReleaseStateAttribute), 'released');
    assert.equal(described.typedSearchAttributes.get(DefenderMachineIdAttribute), machine.id);
    assert.equal(described.typedSearchAttributes.get(IncidentIdAttribute), 'INC-42');
    assert.equal(described.memo?.requestedBy, 'alice@contoso.com');

    const { events } = await handle.fetchHistory();
    const summaries = (events ?? []).flatMap((e) =>
      e.timerStartedEventAttributes && e.userMetadata?.summary
        ? [defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary)]
        : [],
    );
    assert.deepEqual(summaries, ['approval expires', 'release deadline'], 'the timers say what they are for');
    const kinds = await eventKinds(handle);
    const count = (kind: string) => kinds.filter((k) => k === kind).length;
    assert.equal(count('timerCanceled'), 0, 'timers the release no longer waits on are left running, not cancelled');
    recordHistory(h.env.address, handle, 'released-after-approval');
  });

  it('an approval expiry that fires after the approval (a slow action) changes nothing: released', async () => {
    const machine = h.fake.addMachine();
    // The watcher looks every 30 s: confirmation outlasts the minute left for the approval.
    machine.unisolate = { outcome: 'Succeeded', looks: 4 };
    const handle = await h.start({ machineId: machine.id, approval: { timeout: '1m' } });
    await h.reach(handle, 'awaiting-approval');
    await approveRelease(h.env.client, handle.workflowId, bob);
    const result = await handle.result();
    assert.deepEqual([result.outcome, result.approvedBy], ['released', 'bob@contoso.com']);
    const kinds = await eventKinds(handle);
    assert.deepEqual(
      [kinds.filter((k) => k === 'timerFired').length, kinds.filter((k) => k === 'timerCanceled').length],
      [1, 0],
      'the expiry fired while confirming, and was ignored',
    );
    assert.equal((await h.status(handle)).approval.decision?.decision, 'approved');
  });

  it('ReleaseState skips the brief steps (checking, releasing) but records leaving awaiting-approval', async () => {
    const listed = async (handle: WorkflowHandle) =>
      (await handle.describe()).typedSearchAttributes.get(ReleaseStateAttribute) ?? null;
    const upserts = async (handle: WorkflowHandle) =>
      (await eventKinds(handle)).filter((k) => k === 'upsertWorkflowSearchAttributes').length;

    const pre = h.fake.addMachine();
    const posting = h.fake.hold('postUnisolate');
    const quick = await h.start({ machineId: pre.id, approval: preApproved });
    try {
      await h.reach(quick, 'releasing');
      assert.equal(await listed(quick), null, 'as its starter left it (the stock CLI sets none; ours: validating)');
    } finally {
      posting();
    }
    await quick.result();
    assert.equal(await listed(quick), 'released');
    assert.equal(await upserts(quick), 3, 'the audit attributes (started without them), confirming, released');

    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id });
    await h.reach(handle, 'awaiting-approval');
    assert.equal(await listed(handle), 'awaiting-approval');
    const rechecking = h.fake.hold('listIsolationActions');
    try {
      await approveRelease(h.env.client, handle.workflowId, bob);
      await h.reach(handle, 'releasing');
      assert.equal(await listed(handle), 'releasing', 'no longer listed as awaiting approval');
    } finally {
      rechecking();
    }
    assert.equal((await handle.result()).outcome, 'released');
  });

  it('an approval sent with the start (still validating) is applied once the check asks for one', async () => {
    const machine = h.fake.addMachine();
    // Update-with-start delivers the approval in the workflow's first task, before validation has run.
    const start = new WithStartWorkflowOperation<typeof releaseMachine>('releaseMachine', {
      taskQueue: h.taskQueue,
      workflowId: `release-${machine.id}-early`,
      workflowIdConflictPolicy: 'FAIL',
      args: [{ machineId: machine.id, comment: 'Clean', requestedBy: 'alice@contoso.com' }],
    });
    const early = await h.env.client.workflow.executeUpdateWithStart(approveUpdate, {
      args: [bob],
      startWorkflowOperation: start,
    });
    // Sent before validation says the tenant's rule, the decision is held until it does (here: named approvals).
    assert.deepEqual([early.state, early.approval.decision?.by], ['checking', 'bob@contoso.com']);
    const handle = await start.workflowHandle();
    const result = await handle.result();
    assert.deepEqual([result.outcome, result.approvedBy], ['released', 'bob@contoso.com']);
    const kinds = await eventKinds(handle);
    assert.equal(kinds.filter((k) => k === 'timerStarted').length, 1, 'no wait for approval: only the deadline');
    recordHistory(h.env.address, handle, 'approved-early');
  });

  it('a rejection sent while the machine is being checked ends it rejected; nothing is posted', async () => {
    const machine = h.fake.addMachine();
    const open = h.fake.hold('listIsolationActions');
    const handle = await h.start({ machineId: machine.id });
    try {
      await h.reach(handle, 'checking');
      await rejectRelease(h.env.client, handle.workflowId, { ...bob, reason: 'still beaconing' });
    } finally {
      open();
    }
    const failure = await endOf(handle);
    assert.equal(failure.type, 'ReleaseRejected');
    assert.match(failure.message, /bob@contoso.com: still beaconing/);
    assert.equal(h.fake.posts(machine.id), 0);
  });

  it('an early decision is held to the same rules: the requester cannot approve while validating', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id, approval: { approvers: ['carol@contoso.com'] } });
    await assert.rejects(
      approveRelease(h.env.client, handle.workflowId, { approver: 'Alice@Contoso.com' }),
      /four-eyes/,
    );
    await assert.rejects(approveRelease(h.env.client, handle.workflowId, bob), /not an approver/);
    await h.reach(handle, 'awaiting-approval');
    await approveRelease(h.env.client, handle.workflowId, { approver: 'carol@contoso.com' });
    assert.equal((await handle.result()).approvedBy, 'carol@contoso.com');
  });

  it('pre-approved: released without a wait; an approval for it is refused', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'change-board', reason: 'CHG-1234' },
    });
    await assert.rejects(approveRelease(h.env.client, handle.workflowId, bob), /pre-approved; no decision is needed/);
    const result = await handle.result();
    assert.equal(result.approvedBy, 'change-board');
    const status = await h.status(handle);
    assert.deepEqual(
      [status.approval.mode, status.approval.decision?.source, status.approval.decision?.comment],
      ['pre-approved', 'pre-approved', 'CHG-1234'],
    );
    assert.equal(h.fake.count('getMachine'), 0, 'the isolation history proves the machine exists');
    const markers = (await eventKinds(handle)).filter((k) => k === 'markerRecorded').length;
    assert.equal(markers, 2, "validation and the watcher's record: the POST's activity registered the action");
    recordHistory(h.env.address, handle, 'released-pre-approved');
  });

  it('rejected while awaiting approval → ReleaseRejected, nothing sent', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id });
    await h.reach(handle, 'awaiting-approval');
    await rejectRelease(h.env.client, handle.workflowId, { ...bob, reason: 'still beaconing' });
    assert.equal((await endOf(handle)).type, 'ReleaseRejected');
    assert.equal(h.fake.posts(machine.id), 0);
    assert.equal((await h.status(handle)).state, 'rejected');
    recordHistory(h.env.address, handle, 'rejected');
  });

  it('no decision within the approval timeout → ApprovalExpired (a day passes in milliseconds)', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id, approval: { timeout: '24h' } });
    const failure = await endOf(handle);
    assert.equal(failure.type, 'ApprovalExpired');
    assert.match(failure.message, /86400s/);
    assert.equal(h.fake.posts(machine.id), 0);
    recordHistory(h.env.address, handle, 'approval-expired');
  });

  it('refusals name the rule and leave no update in history: requester, allowlist, text, decided, ended', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id, approval: { approvers: ['bob@contoso.com'] } });
    await h.reach(handle, 'awaiting-approval');
    const refused = async (call: Promise<unknown>, rule: RegExp) => {
      const err = await call.catch((e: unknown) => e);
      assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
      assert.equal((err.cause as { type?: string }).type, 'ApprovalRefused');
      assert.match(err.cause!.message, rule);
    };
    const update = (u: typeof approveUpdate | typeof rejectUpdate, input: object) =>
      handle.executeUpdate(u as typeof approveUpdate, { args: [input as never] });
    await refused(update(approveUpdate, { approver: ' ALICE@contoso.com ' }), /four-eyes/);
    await refused(update(approveUpdate, { approver: 'mallory@contoso.com' }), /not an approver/);
    await refused(update(approveUpdate, { approver: '' }), /approver must be a non-empty string/);
    await refused(update(approveUpdate, { ...bob, comment: 'x'.repeat(1001) }), /comment must be/);
    await refused(update(rejectUpdate, { ...bob, reason: ' ' }), /reject needs a reason/);
    await approveRelease(h.env.client, handle.workflowId, bob);
    await refused(update(rejectUpdate, { ...bob, reason: 'too late' }), /was already approved|not awaiting approval/);
    await handle.result();
    await assert.rejects(approveRelease(h.env.client, handle.workflowId, bob));
    const kinds = await eventKinds(handle);
    assert.equal(kinds.filter((k) => k.startsWith('workflowExecutionUpdate')).length, 2, 'only the approval');
    recordHistory(h.env.address, handle, 'refusals-then-approved');
  });

  it('every look-alike of the requester is refused as approver (ApprovalRefused), naming the rule; no history', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({
      machineId: machine.id,
      approval: { approvers: ['bob@contoso.com', 'ALICE@contoso.com'] },
    });
    await h.reach(handle, 'awaiting-approval');
    const refusal = async (input: object) => {
      const err = await handle.executeUpdate(approveUpdate, { args: [input as never] }).catch((e: unknown) => e);
      assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
      assert.equal((err.cause as { type?: string }).type, 'ApprovalRefused');
      return err.cause!.message;
    };
    for (const [trick, approver, rule] of LOOK_ALIKES_OF_ALICE) {
      const message = await refusal({ approver });
      assert.match(message, rule, trick);
      assert.ok(
        message.length < 300 && !/[\p{Cc}\p{Cf}]/u.test(message),
        `${trick}: the refusal echoes nothing hidden`,
      );
    }
    // A Greek ο in an allowed approver's name is not that approver, and free text is held to the comment rules.
    assert.match(await refusal({ approver: 'b\u03bfb@contoso.com' }), /must not mix Latin and Greek letters/);
    assert.match(await refusal({ ...bob, comment: 'ok\napproved by CISO' }), /comment must not contain control/);
    const updates = (await eventKinds(handle)).filter((k) => k.startsWith('workflowExecutionUpdate'));
    assert.deepEqual(updates, [], 'no update in history');
    const rejected = await rejectRelease(h.env.client, handle.workflowId, {
      approver: ' Bob@Contoso.com ',
      reason: 'x',
    });
    assert.equal(rejected.approval.decision?.by, 'Bob@Contoso.com', 'the decider as normalised');
    assert.equal((await endOf(handle)).type, 'ReleaseRejected');
    assert.equal(h.fake.posts(machine.id), 0);
  });
});

describe('releaseMachine: the machine', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('release-machine', { tenants: ['default', 'fabrikam'] });
  });
  after(async () => {
    await h?.stop();
  });

  it('invalid input from any client → InvalidInput naming each field; Defender is not called', async () => {
    const before = h.fake.calls.length;
    const handle = await h.start({ machineId: 'not-a-machine', comment: '' });
    const failure = await endOf(handle);
    assert.equal(failure.type, 'InvalidInput');
    assert.match(failure.message, /machineId/);
    assert.match(failure.message, /comment/);
    assert.equal(h.fake.calls.length, before);
    assert.equal((await h.status(handle)).state, 'invalid-input');
    recordHistory(h.env.address, handle, 'invalid-input');
  });

  it('a look-alike of the requester as pre-approver → InvalidInput naming the field and rule; Defender is not called', async () => {
    const before = h.fake.calls.length;
    for (const [trick, preApprovedBy, rule] of LOOK_ALIKES_OF_ALICE) {
      const handle = await h.start({ machineId: 'a'.repeat(40), approval: { preApprovedBy, reason: 'CHG-1' } });
      const failure = await endOf(handle);
      assert.equal(failure.type, 'InvalidInput', trick);
      assert.match(failure.message, /approval\.preApprovedBy/, trick);
      assert.match(failure.message, rule, trick);
    }
    assert.equal(h.fake.calls.length, before);
  });

  it('a workflow id that would forge a tag in Defender → InvalidInput naming workflowId; the CLI shows it escaped', async () => {
    const before = h.fake.calls.length;
    const handle = await h.env.client.workflow.start<typeof releaseMachine>('releaseMachine', {
      taskQueue: h.taskQueue,
      workflowId: FORGING_WORKFLOW_ID,
      args: [
        {
          machineId: h.fake.addMachine().id,
          comment: 'Clean',
          requestedBy: 'alice@contoso.com',
          approval: preApproved,
        },
      ],
    });
    const failure = await endOf(handle);
    assert.equal(failure.type, 'InvalidInput');
    assert.match(failure.message, /workflowId must contain only letters, digits and \._:@\/\+=- \(U\+005D\)/);
    assert.equal(h.fake.calls.length, before, 'no Defender call');

    const address = process.env.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_ADDRESS = h.env.address;
    const out: string[] = [];
    const code = await runCli(['status', FORGING_WORKFLOW_ID], { out: (l) => out.push(l), err: (l) => out.push(l) });
    if (address === undefined) delete process.env.TEMPORAL_ADDRESS;
    else process.env.TEMPORAL_ADDRESS = address;
    const printed = out.join('\n');
    assert.equal(code, EXIT.ok, printed);
    assert.doesNotMatch(printed.replace(/\n/g, ''), /[\p{Cc}\p{Cf}]/u, 'no raw escape or control');
    assert.ok(
      printed.startsWith(
        'Release release-x] [defender-isolation forged 00000000]\\u{a}\\u{1b}[2Japproved by CISO: invalid-input',
      ),
      printed,
    );
    assert.equal(printed.split('\n').filter((l) => l.includes('approved by CISO')).length, 1, printed);
  });

  it('a tenant this worker does not serve → InvalidInput naming the tenants it serves', async () => {
    const failure = await endOf(await h.start({ machineId: 'a'.repeat(40), tenant: 'contoso' }));
    assert.equal(failure.type, 'InvalidInput');
    assert.match(failure.message, /tenant "contoso" is not configured on this worker \(configured: fabrikam\)/);
  });

  it('a named tenant: its calls go to its own API task queue', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id, tenant: 'fabrikam', approval: preApproved });
    assert.equal((await handle.result()).outcome, 'released');
    recordHistory(h.env.address, handle, 'released-named-tenant');
  });

  it('an unknown machine → MachineNotFound (one list, one read), nothing posted', async () => {
    const machineId = 'f'.repeat(40);
    const handle = await h.start({ machineId });
    assert.equal((await endOf(handle)).type, 'MachineNotFound');
    assert.deepEqual(h.fake.calls.slice(-2), [`listIsolationActions ${machineId}`, `getMachine ${machineId}`]);
    recordHistory(h.env.address, handle, 'machine-not-found');
  });

  it('already released, or never isolated → already-released without approval or POST', async () => {
    for (const machine of [h.fake.addMachine({ isolated: false }), h.fake.addMachine({ neverIsolated: true })]) {
      const handle = await h.start({ machineId: machine.id });
      const result = await handle.result();
      assert.deepEqual([result.outcome, result.approvedBy, result.verified], ['already-released', undefined, true]);
      assert.equal(h.fake.posts(machine.id), 0);
      if (h.fake.isIsolated(machine.id) === false) recordHistory(h.env.address, handle, 'already-released');
    }
  });

  it('a release already in flight is followed: no approval, no second POST', async () => {
    const machine = h.fake.addMachine();
    const theirs = h.fake.addAction(machine.id, 'Unisolate', { comment: 'released from the portal' });
    const handle = await h.start({ machineId: machine.id });
    const result = await handle.result();
    assert.equal(result.machineActionId, theirs.id);
    assert.equal(h.fake.posts(machine.id), 0);
    assert.equal((await h.status(handle)).machineAction?.how, 'adopted-in-flight');
    recordHistory(h.env.address, handle, 'adopted-in-flight');
  });

  it('an Isolate still in flight is cancelled before the release (MS docs #5903) and recorded', async () => {
    const machine = h.fake.addMachine({ isolated: false });
    const isolate = h.fake.addAction(machine.id, 'Isolate', { looks: Number.POSITIVE_INFINITY });
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    const result = await handle.result();
    assert.equal(result.outcome, 'already-released', 'the machine was never isolated once the isolate was cancelled');
    assert.equal(h.fake.actions.find((a) => a.id === isolate.id)?.status, 'Cancelled');
    assert.equal((await h.status(handle)).cancelledIsolationActionId, isolate.id);
    recordHistory(h.env.address, handle, 'isolate-cancelled-before-release');
  });

  it('released by someone else while awaiting approval → the re-check finds it: already-released', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id });
    await h.reach(handle, 'awaiting-approval');
    h.fake.addAction(machine.id, 'Unisolate', { status: 'Succeeded' });
    await approveRelease(h.env.client, handle.workflowId, bob);
    assert.equal((await handle.result()).outcome, 'already-released');
    assert.equal(h.fake.posts(machine.id), 0);
  });
});

describe('releaseMachine: following the action to its end', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('release-confirm');
  });
  after(async () => {
    await h?.stop();
  });

  for (const [outcome, type] of [
    ['Failed', 'MachineActionFailed'],
    ['TimeOut', 'MachineActionTimedOut'],
  ] as const) {
    it(`an action that ends ${outcome} → ${type}`, async () => {
      const machine = h.fake.addMachine();
      machine.unisolate = { outcome, looks: 2 };
      const handle = await h.start({ machineId: machine.id, approval: preApproved });
      assert.equal((await endOf(handle)).type, type);
      recordHistory(h.env.address, handle, `action-${outcome.toLowerCase()}`);
    });
  }

  it('an action cancelled outside the workflow → MachineActionCancelled', async () => {
    const machine = h.fake.addMachine();
    machine.unisolate = { outcome: 'Succeeded', looks: Number.POSITIVE_INFINITY };
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    await h.reach(handle, 'confirming');
    const action = h.fake.actions.find((a) => a.machineId === machine.id && a.type === 'Unisolate')!;
    action.status = 'Cancelled';
    assert.equal((await endOf(handle)).type, 'MachineActionCancelled');
    recordHistory(h.env.address, handle, 'action-cancelled');
  });

  it('not final within the deadline → cancelled at Defender → ReleaseDeadlineExceeded', async () => {
    const machine = h.fake.addMachine();
    machine.unisolate = { outcome: 'Succeeded', looks: Number.POSITIVE_INFINITY };
    const handle = await h.start({ machineId: machine.id, approval: preApproved, deadline: '10m' });
    const failure = await endOf(handle);
    assert.equal(failure.type, 'ReleaseDeadlineExceeded');
    assert.match(failure.message, /not final within 600s \(last status Cancelled\)/);
    const action = h.fake.actions.find((a) => a.machineId === machine.id && a.type === 'Unisolate')!;
    assert.equal(action.status, 'Cancelled');
    recordHistory(h.env.address, handle, 'deadline-exceeded');
  });

  it('the watcher cannot list, the action Succeeded: at the deadline the release ends as Defender says', async () => {
    const machine = h.fake.addMachine();
    h.fake.failAlways('checkWatchedActions', DefenderFailureType.ServerError, { afterEffect: true });
    try {
      const handle = await h.start({ machineId: machine.id, approval: preApproved, deadline: '10m' });
      const result = await handle.result();
      assert.deepEqual([result.outcome, result.verified], ['released', true]);
      assert.equal((await h.status(handle)).machineAction?.status, 'Succeeded');
      recordHistory(h.env.address, handle, 'released-seen-at-deadline');
    } finally {
      h.fake.clearFailures();
    }
  });

  it('… and when the isolation history cannot be read either, released but not verified', async () => {
    const machine = h.fake.addMachine();
    h.fake.failAlways('checkWatchedActions', DefenderFailureType.ServerError, { afterEffect: true });
    try {
      const handle = await h.start({ machineId: machine.id, approval: preApproved, deadline: '10m' });
      await h.reach(handle, 'confirming');
      h.fake.failAlways('listIsolationActions', DefenderFailureType.ServerError);
      const result = await handle.result();
      assert.deepEqual([result.outcome, result.verified], ['released', false]);
      assert.equal((await h.status(handle)).lastError?.type, 'VerificationUnavailable');
    } finally {
      h.fake.clearFailures();
    }
  });

  it('a POST that could not register its action with the watcher: the release registers it, released', async () => {
    const machine = h.fake.addMachine();
    h.fake.registersPosted = false;
    try {
      const handle = await h.start({ machineId: machine.id, approval: preApproved });
      assert.equal((await handle.result()).outcome, 'released');
      const markers = (await eventKinds(handle)).filter((k) => k === 'markerRecorded').length;
      assert.equal(markers, 3, "validation, the release's own registration, the watcher's record");
      assert.equal(h.fake.posts(machine.id), 1);
    } finally {
      h.fake.registersPosted = true;
    }
  });

  it("a nudge that comes while the POST is in flight is checked against the watcher's record, never believed", async () => {
    const machine = h.fake.addMachine();
    machine.unisolate = { outcome: 'Succeeded', looks: 2 };
    const open = h.fake.hold('postUnisolate');
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    try {
      await h.reach(handle, 'releasing');
      await until(() => h.fake.posts(machine.id) === 1);
      const action = h.fake.actions.find((a) => a.machineId === machine.id && a.type === 'Unisolate')!;
      await handle.signal(actionFinalSignal, { actionId: action.id });
    } finally {
      open();
    }
    assert.equal((await handle.result()).outcome, 'released');
    const kinds = await eventKinds(handle);
    // Validation, the refuted nudge's read and the registration after it, then the watcher's real nudge's read.
    assert.equal(kinds.filter((k) => k === 'markerRecorded').length, 4);
    assert.equal(h.fake.posts(machine.id), 1);
  });

  it('an Isolate that succeeds after the release → ReisolatedAfterRelease', async () => {
    const machine = h.fake.addMachine();
    machine.unisolate = { outcome: 'Succeeded', looks: 1 };
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    await h.reach(handle, 'confirming');
    // Requested while the release is pending, it completes after it (MS docs #5903).
    h.fake.addAction(machine.id, 'Isolate', { looks: 1 });
    const failure = await endOf(handle);
    assert.equal(failure.type, 'ReisolatedAfterRelease');
    recordHistory(h.env.address, handle, 'reisolated-after-release');
  });
});

describe('releaseMachine: exactly one release action', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('release-once');
  });
  after(async () => {
    await h?.stop();
  });

  it('a POST whose answer was lost: the release finds its own action by its tag and follows it', async () => {
    const machine = h.fake.addMachine();
    h.fake.fail('postUnisolate', DefenderFailureType.ServerError, { afterEffect: true });
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    assert.equal((await handle.result()).outcome, 'released');
    assert.equal(h.fake.posts(machine.id), 1);
    assert.equal((await h.status(handle)).machineAction?.how, 'adopted-after-unknown-outcome');
    recordHistory(h.env.address, handle, 'adopted-after-unknown-outcome');
  });

  it('a POST that never reached Defender: it looks, waits, and posts again — one action in all', async () => {
    const machine = h.fake.addMachine();
    h.fake.fail('postUnisolate', DefenderFailureType.Timeout);
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    assert.equal((await handle.result()).outcome, 'released');
    assert.equal(h.fake.posts(machine.id), 2);
    assert.equal(h.fake.actions.filter((a) => a.machineId === machine.id && a.type === 'Unisolate').length, 1);
  });

  it('a retried POST attempt refuses to post blind: the release lists first (one action)', async () => {
    const machine = h.fake.addMachine();
    h.fake.fail('postUnisolate', DefenderFailureType.RateLimited, { afterEffect: true });
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    assert.equal((await handle.result()).outcome, 'released');
    assert.equal(h.fake.posts(machine.id), 1, 'the retried attempt did not post');
    assert.equal(h.fake.actions.filter((a) => a.machineId === machine.id && a.type === 'Unisolate').length, 1);
    assert.equal((await h.status(handle)).machineAction?.how, 'adopted-after-unknown-outcome');
  });

  it('Defender says a release is already in progress: the release looks again and follows it', async () => {
    const machine = h.fake.addMachine();
    h.fake.fail('postUnisolate', DefenderFailureType.ActiveRequestAlreadyExists);
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    assert.equal((await handle.result()).outcome, 'released');
  });

  it('a duplicate POST answered 201 with a release already pending is adopted, not recorded as ours', async () => {
    const machine = h.fake.addMachine();
    h.fake.answerPostWithPending(machine.id);
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    const result = await handle.result();
    assert.equal(result.outcome, 'released');
    const theirs = h.fake.actions.find((a) => a.machineId === machine.id && a.type === 'Unisolate');
    assert.equal(result.machineActionId, theirs?.id);
    assert.equal(h.fake.actions.filter((a) => a.machineId === machine.id && a.type === 'Unisolate').length, 1);
    assert.equal((await h.status(handle)).machineAction?.how, 'adopted-in-flight');
  });

  it('Defender unanswered until the deadline while checking → ReleaseDeadlineExceeded, nothing posted', async () => {
    const machine = h.fake.addMachine();
    h.fake.failAlways('listIsolationActions', DefenderFailureType.ServerError);
    try {
      const handle = await h.start({ machineId: machine.id, approval: preApproved, deadline: '10m' });
      const failure = await endOf(handle);
      assert.equal(failure.type, 'ReleaseDeadlineExceeded');
      assert.match(failure.message, /checking the machine: Defender did not answer within the deadline/);
      assert.equal(h.fake.posts(machine.id), 0);
    } finally {
      h.fake.clearFailures();
    }
  });

  for (const [refusal, type, state] of [
    [DefenderFailureType.AccessDenied, 'DefenderAccessDenied', 'access-denied'],
    [DefenderFailureType.Unauthorized, 'DefenderRequestFailed', 'defender-error'],
    [DefenderFailureType.BadRequest, 'DefenderRequestFailed', 'defender-error'],
  ] as const) {
    it(`Defender answers the POST with ${refusal} → ${type}, not retried`, async () => {
      const machine = h.fake.addMachine();
      h.fake.fail('postUnisolate', refusal);
      const handle = await h.start({ machineId: machine.id, approval: preApproved });
      const failure = await endOf(handle);
      assert.equal(failure.type, type);
      assert.equal((await h.status(handle)).state, state);
      assert.equal(h.fake.posts(machine.id), 1);
    });
  }
});

describe('releaseMachine: cancellation', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('release-cancel');
  });
  after(async () => {
    await h?.stop();
  });

  const cancelled = async (handle: Parameters<typeof endOf>[0]) => {
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
    assert.equal((await h.status(handle)).state, 'cancelled');
  };

  it('while awaiting approval: it ends cancelled, nothing sent to Defender, nobody recorded', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id });
    await h.reach(handle, 'awaiting-approval');
    const before = h.fake.calls.length;
    await handle.cancel();
    await cancelled(handle);
    assert.equal(h.fake.calls.length, before);
    assert.equal((await h.status(handle)).cancellation, null, 'a Temporal cancellation carries no who or why');
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
  });

  it('while confirming: the pending action is cancelled at Defender, through the API queue', async () => {
    const machine = h.fake.addMachine();
    machine.unisolate = { outcome: 'Succeeded', looks: Number.POSITIVE_INFINITY };
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    const { machineAction } = await h.reach(handle, 'confirming');
    await handle.cancel();
    await cancelled(handle);
    assert.ok(h.fake.calls.includes(`cancelMachineAction ${machineAction!.id}`));
    assert.equal(h.fake.actions.find((a) => a.id === machineAction!.id)?.status, 'Cancelled');
    recordHistory(h.env.address, handle, 'cancelled-while-confirming');
  });

  it('while its POST is in flight: the action the POST created is found by its tag and cancelled', async () => {
    const machine = h.fake.addMachine();
    const open = h.fake.hold('postUnisolate');
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    try {
      await h.reach(handle, 'releasing');
      const cancels = h.fake.count('cancelMachineAction');
      await handle.cancel();
      // The release cleans up while its POST is still held in flight; then the POST returns.
      await until(() => h.fake.count('cancelMachineAction') > cancels);
    } finally {
      open();
    }
    await cancelled(handle);
    const ours = h.fake.actions.find((a) => a.machineId === machine.id && a.type === 'Unisolate');
    assert.equal(ours?.status, 'Cancelled');
  });
});

describe('releaseMachine: the cancelRelease update', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('release-cancel-update');
  });
  after(async () => {
    await h?.stop();
  });

  const carol = { by: 'carol@contoso.com', reason: 'wrong machine' };

  /** The release ended cancelled, by a CancelledFailure saying who and why. */
  const cancelledBy = async (handle: Parameters<typeof endOf>[0], who: string) => {
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
    assert.equal(err.cause.message, `cancelled by ${who}: wrong machine`);
    const status = await h.status(handle);
    assert.equal(status.state, 'cancelled');
    return status;
  };

  it('while awaiting approval: recorded (who, why, when), ends cancelled, nothing sent; no approval awaited', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id });
    await h.reach(handle, 'awaiting-approval');
    const before = h.fake.calls.length;
    const answered = await cancelRelease(h.env.client, handle.workflowId, {
      by: ' Carol@Contoso.com ',
      reason: 'wrong machine',
    });
    assert.equal(answered.cancellation?.by, 'Carol@Contoso.com', 'the name as normalised');
    const status = await cancelledBy(handle, 'Carol@Contoso.com');
    assert.deepEqual([status.cancellation?.by, status.cancellation?.reason], ['Carol@Contoso.com', 'wrong machine']);
    assert.ok(status.cancellation?.at);
    assert.equal(h.fake.calls.length, before, 'nothing sent to Defender');
    const kinds = await eventKinds(handle);
    assert.equal(
      kinds.filter((k) => k === 'workflowExecutionUpdateAccepted').length,
      1,
      'the cancellation is in history',
    );
    assert.equal(kinds.filter((k) => k === 'timerStarted').length, kinds.filter((k) => k === 'timerCanceled').length);
    recordHistory(h.env.address, handle, 'cancel-requested-while-awaiting-approval');
  });

  it('while releasing, its POST in flight: the action the POST created is found and cancelled at Defender', async () => {
    const machine = h.fake.addMachine();
    const open = h.fake.hold('postUnisolate');
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    try {
      await h.reach(handle, 'releasing');
      const cancels = h.fake.count('cancelMachineAction');
      await cancelRelease(h.env.client, handle.workflowId, carol);
      await until(() => h.fake.count('cancelMachineAction') > cancels);
    } finally {
      open();
    }
    await cancelledBy(handle, 'carol@contoso.com');
    const ours = h.fake.actions.find((a) => a.machineId === machine.id && a.type === 'Unisolate');
    assert.equal(ours?.status, 'Cancelled');
    assert.equal(
      (await handle.describe()).status.name,
      'FAILED',
      'only a Temporal cancellation closes a run as cancelled',
    );
    recordHistory(h.env.address, handle, 'cancel-requested-while-releasing');
  });

  it('while confirming: the pending action is cancelled at Defender', async () => {
    const machine = h.fake.addMachine();
    machine.unisolate = { outcome: 'Succeeded', looks: Number.POSITIVE_INFINITY };
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    const { machineAction } = await h.reach(handle, 'confirming');
    await cancelRelease(h.env.client, handle.workflowId, carol);
    await cancelledBy(handle, 'carol@contoso.com');
    assert.equal(h.fake.actions.find((a) => a.id === machineAction!.id)?.status, 'Cancelled');
  });

  // Once the run has closed, the server answers instead of the validator (the dev server: "already completed", which
  // test/e2e/cli.test.ts covers; the time-skipping server only after a wait). test/unit/cancel-request.test.ts holds
  // the validator to every end state.
  it('refused while the release is being cancelled already; nothing more reaches history', async () => {
    const machine = h.fake.addMachine();
    machine.unisolate = { outcome: 'Succeeded', looks: Number.POSITIVE_INFINITY };
    const handle = await h.start({ machineId: machine.id, approval: preApproved });
    await h.reach(handle, 'confirming');
    // The clean-up at Defender is held, so the release stays `cancelling`.
    const open = h.fake.hold('cancelMachineAction');
    try {
      await cancelRelease(h.env.client, handle.workflowId, carol);
      await h.reach(handle, 'cancelling');
      for (const cancel of [carol, { by: 'dave@contoso.com', reason: 'me too' }]) {
        const again = await handle.executeUpdate(cancelReleaseUpdate, { args: [cancel] }).catch((e: unknown) => e);
        assert.ok(again instanceof WorkflowUpdateFailedError, String(again));
        assert.equal((again.cause as { type?: string }).type, 'CancellationRefused');
        assert.match(again.cause!.message, /is already being cancelled/);
      }
    } finally {
      open();
    }
    const status = await cancelledBy(handle, 'carol@contoso.com');
    assert.equal(status.cancellation?.by, 'carol@contoso.com', 'the first cancellation stands');
    const accepted = (await eventKinds(handle)).filter((k) => k === 'workflowExecutionUpdateAccepted');
    assert.equal(accepted.length, 1, 'only the first cancellation');
  });

  it('bad input is refused naming the field and rule (CancellationRefused); nothing reaches history', async () => {
    const handle = await h.start({ machineId: h.fake.addMachine().id });
    await h.reach(handle, 'awaiting-approval');
    const refusal = async (input: unknown) => {
      const err = await handle.executeUpdate(cancelReleaseUpdate, { args: [input as never] }).catch((e: unknown) => e);
      assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
      assert.equal((err.cause as { type?: string }).type, 'CancellationRefused');
      return err.cause!.message;
    };
    for (const [input, rule] of [
      [{ reason: 'r' }, /^invalid cancellation: by is required$/],
      [{ by: '', reason: 'r' }, /^invalid cancellation: by must not be empty$/],
      [
        { by: 'carol\u200b@contoso.com', reason: 'r' },
        /^invalid cancellation: by must not contain invisible .*U\+200B/,
      ],
      [{ by: 'x'.repeat(201), reason: 'r' }, /^invalid cancellation: by must be at most 200 characters$/],
      [{ by: 'carol', reason: ' ' }, /^invalid cancellation: reason must not be empty$/],
      [{ by: 'carol' }, /^invalid cancellation: reason is required$/],
      [
        { by: 'carol', reason: 'ok\napproved by CISO' },
        /^invalid cancellation: reason must not contain control .*U\+000A/,
      ],
      [{ by: 'carol', reason: 'r'.repeat(1001) }, /^invalid cancellation: reason must be at most 1000 characters$/],
      [{ by: 'carol', reason: 'r', force: true }, /^invalid cancellation: has unknown field\(s\) "force"$/],
      ['carol', /^invalid cancellation: must be an object$/],
    ] as const) {
      assert.match(await refusal(input), rule, JSON.stringify(input));
    }
    const updates = (await eventKinds(handle)).filter((k) => k.startsWith('workflowExecutionUpdate'));
    assert.deepEqual(updates, [], 'no update in history');
    assert.equal((await h.status(handle)).state, 'awaiting-approval');
    await handle.cancel();
    await handle.result().catch(() => undefined);
  });
});
