/**
 * Verified requesters (issue 17): four-eyes compares the verified approver with the verified requester. In a tenant
 * whose approvals are verified, a person's request carries a request token for the workflow it starts; a forged,
 * expired, misbound or borrowed one ends the release `invalid-input` naming `requestToken`, before any Defender call.
 * A playbook (`playbook:…`) needs none, and no approval token can name one. The attack this closes: alice starts a
 * release as "carol" and approves it herself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowUpdateFailedError } from '@temporalio/client';
import { approveRelease } from '../../client/release-client.js';
import { bulkApproveUpdate, DEFAULT_TENANT, progressQuery, type ReleaseRequest } from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import {
  mintApprovalToken,
  mintRequestToken,
  newSigningKey,
  tampered,
  trusting,
  type RequestTokenRequest,
  type SigningKey,
} from '../helpers/approval-tokens.js';
import { startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

const alice = 'alice@contoso.com';
const bob = 'bob@contoso.com';
const carol = 'carol@contoso.com';

describe('verified requesters: who asks is proven where approvals are', () => {
  let h: FastHarness;
  let key: SigningKey;
  let rogue: SigningKey;
  let count = 0;
  const tally = { tried: 0, accepted: 0, defenderCalls: 0 };

  before(async () => {
    key = await newSigningKey();
    rogue = await newSigningKey();
    h = await startFastHarness('verified-requesters', {
      tenants: [DEFAULT_TENANT, 'lab'],
      approval: { [DEFAULT_TENANT]: trusting(key), lab: { verification: 'off', issuers: [] } },
    });
  });
  after(async () => {
    console.log(`forged requests: ${JSON.stringify(tally)}`);
    await h?.stop();
  });

  /** A release of a fresh machine under a workflow id known before it starts (a request token binds it). */
  async function startWith(request: (wid: string) => Promise<Partial<ReleaseRequest>>) {
    const machine = h.fake.addMachine();
    const workflowId = `release-${machine.id}-${(count += 1)}`;
    const handle = await h.start({ machineId: machine.id, ...(await request(workflowId)) }, { workflowId });
    return { machine, handle, workflowId };
  }

  const token = (wid: string, r: Partial<RequestTokenRequest> = {}) =>
    mintRequestToken({ key, upn: alice, wid, txt: 'Clean after re-imaging', ...r });

  /** A start that must end `invalid-input` naming requestToken and `reason`, never the token, with no Defender call. */
  async function refused(request: (wid: string) => Promise<Partial<ReleaseRequest>>, reason: RegExp) {
    const callsBefore = h.fake.calls.length;
    tally.tried += 1;
    const { handle, machine } = await startWith(request);
    const status = await h.reach(handle, 'invalid-input').catch(async (err: Error) => {
      tally.accepted += 1;
      throw err;
    });
    const message = status.lastError?.message ?? '';
    assert.match(message, /requestToken/);
    assert.match(message, reason);
    assert.doesNotMatch(message, /eyJ/, 'no token in the refusal');
    assert.equal(status.approval.decision, null);
    const calls = h.fake.calls.length - callsBefore;
    tally.defenderCalls += calls;
    assert.equal(calls, 0, 'no Defender call');
    assert.equal(h.fake.posts(machine.id), 0);
  }

  it('a person without a proof, or with a bad one, is refused before anything reaches Defender', async () => {
    await refused(async () => ({ requestedBy: carol }), /is required: requestedBy names a person/);
    await refused(async () => ({ requestedBy: alice }), /is required/);
    await refused(async (wid) => ({ requestToken: await token(wid, { key: rogue }) }), /not signed by a trusted key/);
    const badSignature = async (wid: string) => ({
      requestToken: await token(wid, { key: { ...rogue, kid: key.kid } }),
    });
    await refused(badSignature, /signature is not valid/);
    const carolInTransit = async (wid: string) => ({ requestToken: tampered(await token(wid), { upn: carol }) });
    await refused(carolInTransit, /signature/);
    await refused(async (wid) => ({ requestToken: await token(wid, { iatIn: -400, expIn: -100 }) }), /expired/);
    await refused(async (wid) => ({ requestToken: await token(wid, { expIn: 3600 }) }), /lifetime exceeds 300 s/);
    await refused(async (wid) => ({ requestToken: await token(`${wid}-other`) }), /another workflow/);
    const carolsToken = async (wid: string) => ({ requestToken: await token(wid, { upn: carol }) });
    await refused(carolsToken, /names another person than requestedBy/);
    const alicesForCarol = async (wid: string) => ({ requestedBy: carol, requestToken: await token(wid) });
    await refused(alicesForCarol, /names another person/);
    const otherIdp = async (wid: string) => ({
      requestToken: await token(wid, { claims: { idp: 'https://evil.test' } }),
    });
    await refused(otherIdp, /identity provider/);
    // An approval token (dec approve, a run) is no request token, however genuine.
    const approval = async (wid: string) => ({
      requestToken: await mintApprovalToken({ key, upn: alice, dec: 'approve', wid, rid: 'run-1' }),
    });
    await refused(approval, /not a request token/);
    await refused(async (wid) => ({ requestToken: await token(wid, { claims: { rid: 'run-1' } }) }), /not a request/);
    await refused(async () => ({ requestToken: 'not-a-token' }), /compact JWS/);
  });

  it('the reproduced attack: alice proven as the requester cannot approve her own release', async () => {
    const r = await startWith(async (wid) => ({ requestedBy: alice, requestToken: await token(wid) }));
    const status = await h.reach(r.handle, 'awaiting-approval');
    assert.deepEqual(
      [status.requestedBy, status.requester?.verified, status.requester?.sub],
      [alice, true, `oid-${alice}`],
    );
    const { runId } = await r.handle.describe();
    const own = await mintApprovalToken({ key, upn: alice, dec: 'approve', wid: r.workflowId, rid: runId });
    tally.tried += 1;
    await assert.rejects(approveRelease(h.env.client, r.workflowId, { token: own }), /four-eyes/);
    assert.equal((await h.status(r.handle)).approval.decision, null);
    const bobs = await mintApprovalToken({ key, upn: bob, dec: 'approve', wid: r.workflowId, rid: runId });
    const approved = await approveRelease(h.env.client, r.workflowId, { token: bobs });
    assert.equal(approved.approval.decision?.by, bob);
    assert.equal(approved.requester?.verified, true);
  });

  it('a playbook (or a schedule) needs no proof; no approval token may name a playbook', async () => {
    const playbook = 'playbook:incident-42';
    const r = await startWith(async () => ({ requestedBy: playbook }));
    const status = await h.reach(r.handle, 'awaiting-approval');
    assert.deepEqual([status.requestedBy, status.requester], [playbook, undefined]);
    const { runId } = await r.handle.describe();
    const mint = (upn: string) => mintApprovalToken({ key, upn, dec: 'approve', wid: r.workflowId, rid: runId });
    tally.tried += 1;
    await assert.rejects(approveRelease(h.env.client, r.workflowId, { token: await mint(playbook) }), /playbook/);
    const approved = await approveRelease(h.env.client, r.workflowId, { token: await mint(alice) });
    assert.equal(approved.approval.decision?.by, alice);
    // A schedule's runs are requested by `schedule:<id>` (client/bulk-client.ts): automation too.
    const scheduled = await startWith(async () => ({ requestedBy: 'schedule:nightly' }));
    assert.equal((await h.reach(scheduled.handle, 'awaiting-approval')).requester, undefined);
  });

  it('a batch proves its requester the same way, and its releases need no token of their own', async () => {
    const machine = h.fake.addMachine();
    const start = (workflowId: string, extra: object) =>
      h.env.client.workflow.start<typeof bulkRelease>('bulkRelease', {
        taskQueue: h.taskQueue,
        workflowId,
        args: [{ comment: 'Outbreak contained', requestedBy: alice, machineIds: [machine.id], ...extra }],
      });
    const unproven = await start(`bulk-unproven-${h.taskQueue}`, {});
    tally.tried += 1;
    await assert.rejects(unproven.result(), (err: Error) =>
      /requestToken is required/.test(String((err.cause as Error)?.message)),
    );
    const workflowId = `bulk-proven-${h.taskQueue}`;
    const handle = await start(workflowId, { requestToken: await token(workflowId) });
    let progress = await handle.query(progressQuery);
    for (let i = 0; i < 300 && progress.state !== 'awaiting-approval'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      progress = await handle.query(progressQuery);
    }
    assert.equal(progress.requester?.verified, true);
    const { runId } = await handle.describe();
    const approval = await mintApprovalToken({ key, upn: bob, dec: 'approve', wid: workflowId, rid: runId });
    const input = { token: approval, targetDigest: progress.targetDigest };
    await handle
      .executeUpdate(bulkApproveUpdate, { args: [input as never] })
      .catch((err: WorkflowUpdateFailedError) => {
        throw err.cause ?? err;
      });
    const report = await handle.result();
    assert.equal(report.counts.released, 1, JSON.stringify(report.counts));
    assert.equal(h.fake.posts(machine.id), 1);
  });

  it('verification off (a lab tenant): requestedBy is taken as sent, no token asked', async () => {
    const r = await startWith(async () => ({ requestedBy: carol, tenant: 'lab' }));
    const status = await h.reach(r.handle, 'awaiting-approval');
    assert.deepEqual([status.requestedBy, status.requester], [carol, undefined]);
    await approveRelease(h.env.client, r.workflowId, { approver: bob });
    assert.equal((await r.handle.result()).outcome, 'released');
  });
});
