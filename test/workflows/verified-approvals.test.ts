/**
 * Verified approvals (issue 17): with a tenant's approval verification `required`, a decision counts only with a
 * signed approval token for this workflow's run, verified against the tenant's trusted keys. The forged-approval
 * matrix: every forgery refused with a clear reason, the release unchanged, no Defender call. A tenant with
 * verification `off` keeps named approvals and says so.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { QUIET_BUNDLER_LOGGER } from '../../worker/bundle-workflows.js';
import { WORKFLOWS_PATH } from '../../worker/paths.js';
import { approveRelease, rejectRelease } from '../../client/release-client.js';
import { bulkApproveUpdate, DEFAULT_TENANT, progressQuery } from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import {
  mintApprovalToken,
  mintRequestToken,
  newSigningKey,
  tampered,
  trusting,
  type SigningKey,
  type TokenRequest,
} from '../helpers/approval-tokens.js';
import { endOf, startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

const alice = 'alice@contoso.com';
const bob = 'bob@contoso.com';

describe('verified approvals: releaseMachine and bulkRelease', () => {
  let h: FastHarness;
  let key: SigningKey;
  let rogue: SigningKey;
  const tally = { tried: 0, accepted: 0, defenderCalls: 0 };

  before(async () => {
    key = await newSigningKey();
    rogue = await newSigningKey();
    h = await startFastHarness('verified-approvals', {
      tenants: [DEFAULT_TENANT, 'lab'],
      approval: { [DEFAULT_TENANT]: trusting(key), lab: { verification: 'off', issuers: [] } },
    });
  });
  after(async () => {
    console.log(`forged approvals: ${JSON.stringify(tally)}`);
    await h?.stop();
  });

  // Tokens are minted on the real clock and the server's clock jumps whenever a test waits on a result: tests that
  // present tokens run before any that waits for a release to end after others.

  /** A release of the verified tenant awaiting approval, with what a token for it binds. */
  async function awaiting() {
    const machine = h.fake.addMachine();
    const workflowId = `release-${machine.id}-verified`;
    const requestToken = await mintRequestToken({ key, upn: alice, wid: workflowId });
    const handle = await h.start({ machineId: machine.id, requestToken }, { workflowId });
    const status = await h.reach(handle, 'awaiting-approval');
    assert.equal(status.approval.verification, 'required');
    const { runId } = await handle.describe();
    const token = (r: Partial<TokenRequest> = {}) =>
      mintApprovalToken({ key, upn: bob, dec: 'approve', wid: handle.workflowId, rid: runId, ...r });
    return { machine, handle, runId, token };
  }

  /** Sends a forged decision: it must be refused for `reason` and leave the release as it was, with no Defender call. */
  async function refused(
    release: { machine: { id: string }; handle: WorkflowHandle },
    verb: 'approve' | 'reject',
    input: { approver?: string; token?: string; comment?: string; reason?: string },
    reason: RegExp,
  ): Promise<void> {
    const callsBefore = h.fake.calls.length;
    tally.tried += 1;
    const send = verb === 'approve' ? approveRelease : rejectRelease;
    const outcome = await send(h.env.client, release.handle.workflowId, input as never).then(
      () => 'accepted',
      (err: Error) => err.message,
    );
    if (outcome === 'accepted') tally.accepted += 1;
    assert.match(outcome, reason);
    assert.doesNotMatch(outcome, /eyJ/, 'no token in the refusal');
    const status = await h.status(release.handle);
    assert.equal(status.state, 'awaiting-approval');
    assert.equal(status.approval.decision, null);
    const calls = h.fake.calls.length - callsBefore;
    tally.defenderCalls += calls;
    assert.equal(calls, 0, 'no Defender call');
    assert.equal(h.fake.posts(release.machine.id), 0);
  }

  it('forgeries are refused with a reason and change nothing: the matrix', async () => {
    const r = await awaiting();
    const { workflowId } = r.handle;
    await refused(r, 'approve', { approver: bob }, /needs a signed approval token/);
    await refused(r, 'approve', { token: 'not-a-token' }, /not a well-formed approval token/);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"defender-approval+jwt"}').toString('base64url')}.${(await r.token()).split('.')[1]}.`;
    await refused(r, 'approve', { token: unsigned }, /not a well-formed approval token/);
    await refused(r, 'approve', { token: await r.token({ header: { typ: 'JWT' } }) }, /not a well-formed/);
    // Signed by a key the tenant does not trust, with that key's id, then claiming the trusted key's id.
    await refused(r, 'approve', { token: await r.token({ key: rogue }) }, /not signed by a trusted key/);
    const badSignature = await r.token({ key: { ...rogue, kid: key.kid } });
    await refused(r, 'approve', { token: badSignature }, /signature is not valid/);
    await refused(r, 'approve', { token: tampered(await r.token(), { upn: 'carol@contoso.com' }) }, /signature/);
    await refused(r, 'approve', { token: await r.token({ iatIn: -400, expIn: -100 }) }, /expired/);
    await refused(r, 'approve', { token: await r.token({ expIn: 3600 }) }, /lifetime exceeds 300 s/);
    await refused(r, 'approve', { token: await r.token({ wid: `${workflowId}-other` }) }, /another workflow/);
    await refused(r, 'approve', { token: await r.token({ rid: randomUUID() }) }, /another run/);
    await refused(r, 'approve', { token: await r.token({ dec: 'reject' }) }, /decides "reject", not "approve"/);
    await refused(r, 'approve', { token: await r.token({ upn: 'alice@contoso.com' }) }, /four-eyes/);
    await refused(r, 'approve', { approver: 'carol@contoso.com', token: await r.token() }, /does not match/);
    await refused(
      r,
      'approve',
      { token: await r.token({ claims: { idp: 'https://evil.test' } }) },
      /identity provider/,
    );
    await refused(r, 'reject', { token: await r.token({ txt: 'x' }) }, /decides "approve", not "reject"/);
    // Replayed: a token whose tampered copy was tried first is used up, whoever sends it next.
    const reject = await r.token({ dec: 'reject', txt: 'still beaconing' });
    await refused(r, 'reject', { token: tampered(reject, { txt: 'other' }) }, /signature/);
    await refused(r, 'reject', { token: reject }, /already used/);
    await r.handle.terminate('matrix done');
  });

  it('a batch takes the same proof: a named approval is refused, a token for the batch run approves', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.env.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-verified-${h.taskQueue}`,
      args: [
        {
          comment: 'Outbreak contained',
          requestedBy: alice,
          requestToken: await mintRequestToken({ key, upn: alice, wid: `bulk-verified-${h.taskQueue}` }),
          machineIds: [machine.id],
        },
      ],
    });
    let progress = await handle.query(progressQuery);
    for (let i = 0; i < 300 && progress.state !== 'awaiting-approval'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      progress = await handle.query(progressQuery);
    }
    const { runId } = await handle.describe();
    const token = (r: Partial<TokenRequest> = {}) =>
      mintApprovalToken({ key, upn: bob, dec: 'approve', wid: handle.workflowId, rid: runId, ...r });
    const approve = (input: object) =>
      handle.executeUpdate(bulkApproveUpdate, { args: [input as never] }).then(
        () => 'accepted',
        (err: WorkflowUpdateFailedError) => err.cause?.message ?? String(err),
      );
    for (const [input, reason] of [
      [{ approver: bob }, /needs a signed approval token/],
      [{ token: await token({ key: rogue }) }, /not signed by a trusted key/],
      [{ token: await token({ upn: 'alice@contoso.com' }) }, /four-eyes/],
      [{ token: await token({ rid: randomUUID() }) }, /another run/],
    ] as const) {
      tally.tried += 1;
      const outcome = await approve(input);
      if (outcome === 'accepted') tally.accepted += 1;
      assert.match(outcome, reason);
    }
    assert.equal((await handle.query(progressQuery)).approval.decision, null);
    assert.equal(h.fake.posts(machine.id), 0);
    assert.equal(await approve({ token: await token(), targetDigest: progress.targetDigest }), 'accepted');
    const decided = await handle.query(progressQuery);
    assert.deepEqual(
      [decided.approval.decision?.by, decided.approval.decision?.verified?.jti !== undefined],
      [bob, true],
    );
  });

  it('a valid reject token rejects, with its reason; nothing is sent', async () => {
    const r = await awaiting();
    const token = await r.token({ dec: 'reject', txt: 'still beaconing' });
    const rejected = await rejectRelease(h.env.client, r.handle.workflowId, { approver: bob, token });
    assert.deepEqual(
      [rejected.approval.decision?.decision, rejected.approval.decision?.comment],
      ['rejected', 'still beaconing'],
    );
    // Its end is read from the status: waiting on its result would let the server's clock run ahead of the tokens'.
    const ended = await h.reach(r.handle, 'rejected');
    assert.equal(ended.lastError?.message, 'rejected by bob@contoso.com: still beaconing');
    assert.equal(h.fake.posts(r.machine.id), 0);
  });

  it('a valid token approves: released, approvedBy the signed-in user, the proof in the status; replays refused', async () => {
    const r = await awaiting();
    const token = await r.token({ txt: 'EDR scan clean' });
    const approved = await approveRelease(h.env.client, r.handle.workflowId, { token });
    const decision = approved.approval.decision!;
    assert.deepEqual([decision.decision, decision.by, decision.comment], ['approved', bob, 'EDR scan clean']);
    assert.equal(decision.verified?.sub, `oid-${bob}`);
    assert.equal(decision.verified?.iss, 'https://approvals.contoso.test');
    tally.tried += 1;
    await assert.rejects(
      approveRelease(h.env.client, r.handle.workflowId, { token }),
      /already approved|not awaiting approval/,
    );
    const result = await r.handle.result();
    assert.deepEqual([result.outcome, result.approvedBy], ['released', bob]);
    assert.equal(h.fake.posts(r.machine.id), 1);
  });

  it("verification off (a lab tenant): named approvals still work, and the status and UI say they're unverified", async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id, tenant: 'lab' });
    const status = await h.reach(handle, 'awaiting-approval');
    assert.equal(status.approval.verification, 'off');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', /Named approvals: approver not verified/);
    const approved = await approveRelease(h.env.client, handle.workflowId, { approver: bob });
    assert.equal(approved.approval.decision?.by, bob);
    assert.equal(approved.approval.decision?.verified, undefined);
    assert.equal((await handle.result()).approvedBy, bob);
  });
  it('a pre-approval that no bulk release gave is refused where decisions must be verified; a lab tenant takes it', async () => {
    const preApproval = { preApprovedBy: bob, reason: 'change ticket CHG-1' };
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id, approval: preApproval });
    tally.tried += 1;
    const status = await h.reach(handle, 'invalid-input');
    assert.match(status.lastError?.message ?? '', /preApprovedBy is taken only from a bulk release/);
    assert.equal(h.fake.posts(machine.id), 0, 'nothing reached Defender');
    const lab = h.fake.addMachine();
    const labRelease = await h.start({ machineId: lab.id, tenant: 'lab', approval: preApproval });
    assert.equal((await labRelease.result()).outcome, 'released');
  });

  const batchRequest = (machineId: string) => ({
    comment: 'Outbreak contained',
    requestedBy: 'mallory@contoso.com',
    machineIds: [machineId],
  });

  it('a batch pre-approved by a typed name is refused where decisions must be verified: 0 Defender calls', async () => {
    const machine = h.fake.addMachine();
    const calls = h.fake.calls.length;
    const handle = await h.env.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-pre-approved-${h.taskQueue}`,
      args: [{ ...batchRequest(machine.id), approval: { preApprovedBy: bob, reason: 'CAB-1' } }],
    });
    tally.tried += 1;
    const failure = await endOf(handle);
    assert.equal(failure.type, 'InvalidInput');
    assert.match(failure.message, /approval\.preApprovedBy is refused where this tenant requires verified approvals/);
    assert.equal(h.fake.calls.length, calls, 'nothing reached Defender');
  });

  it('a cron run or a retry takes nothing from its input: a forged `resume` (a "verified" decision) is validated', async () => {
    const machine = h.fake.addMachine();
    const calls = h.fake.calls.length;
    const handle = await h.env.client.workflow.start('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-forged-resume-${h.taskQueue}`,
      args: [{ ...batchRequest(machine.id), resume: forgedResume(machine.id) }],
    });
    tally.tried += 1;
    assert.equal((await endOf(handle)).type, 'InvalidInput');
    assert.equal(h.fake.calls.length, calls, 'nothing reached Defender');
    // The server marks a cron run and a retry as continued from the run before, with the first starter's input. Its
    // history replayed as such a run must validate as recorded; replayed as a run continued as new, it takes the
    // forged state and diverges (which shows the variant is one the workflow tells apart).
    const history = await handle.fetchHistory();
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: QUIET_BUNDLER_LOGGER });
    const replay = (started: object) =>
      Worker.runReplayHistory({ workflowBundle: bundle }, asRunOfAChain(history, started), handle.workflowId);
    await replay({ cronSchedule: '* * * * *' });
    await replay({ retryPolicy: { initialInterval: { seconds: 1 }, maximumAttempts: 3 }, attempt: 2 });
    await assert.rejects(replay({}), DeterminismViolationError);
  });
});

/** A batch's carried-over state as a starter could forge it: validated, targets, and a "verified" decision by bob. */
function forgedResume(machineId: string) {
  const validated = {
    ...{ comment: 'Outbreak contained', requestedBy: 'mallory@contoso.com', machineIds: [machineId] },
    ...{ selector: null, incidentId: null, dryRun: false, concurrency: 1, tenant: null },
    ...{ pollInterval: '30s', pollIntervalMs: 30_000, deadline: '1h' },
    approval: { kind: 'required', approvers: null, timeoutMs: 3_600_000 },
  };
  const verified = { iss: 'https://approvals.contoso.test', sub: `oid-${bob}`, idp: 'https://idp', jti: 'forged' };
  const decision = { decision: 'approved', by: bob, at: new Date().toISOString(), source: 'update', verified };
  return { validated, targets: [machineId], digest: 'f'.repeat(64), decision, outcomes: {}, nextIndex: 0, run: 2 };
}

/** The history as the server would record a run continued from an earlier one, with `started`'s attributes. */
function asRunOfAChain(history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>, started: object) {
  const [first, ...rest] = history.events!;
  const attributes = { ...first!.workflowExecutionStartedEventAttributes, continuedExecutionRunId: randomUUID() };
  return {
    events: [{ ...first, workflowExecutionStartedEventAttributes: { ...attributes, ...started } }, ...rest],
  };
}
