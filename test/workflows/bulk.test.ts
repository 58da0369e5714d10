/**
 * bulkRelease on the time-skipping server with Defender mocked: resolve → check → approve → run the window → report,
 * and each way a batch or one of its machines ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  bulkApproveUpdate,
  bulkRejectUpdate,
  progressQuery,
  type BulkProgress,
  type BulkReleaseRequest,
  type BulkState,
} from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import { recordHistory } from '../helpers/histories.js';
import { FORGING_WORKFLOW_ID, LOOK_ALIKES_OF_ALICE } from '../helpers/look-alikes.js';
import { endOf, startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

const PRE_APPROVED = { preApprovedBy: 'bob@contoso.com', reason: 'CAB-99' };

describe('bulkRelease', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('bulk');
  });
  after(async () => {
    await h?.stop();
  });

  let n = 0;
  const startBatch = (request: Partial<BulkReleaseRequest>): Promise<WorkflowHandle<typeof bulkRelease>> =>
    h.env.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-${h.taskQueue}-${(n += 1)}`,
      args: [{ comment: 'Outbreak contained', requestedBy: 'alice@contoso.com', ...request }],
    });

  async function reach(handle: WorkflowHandle, state: BulkState): Promise<BulkProgress> {
    for (let i = 0; i < 300; i++) {
      const progress = await handle.query(progressQuery).catch(() => undefined);
      if (progress?.state === state) return progress;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${handle.workflowId} did not reach ${state}`);
  }

  /** The update was refused by the batch's validator with a message matching `rule`. */
  async function refused(call: Promise<unknown>, rule: RegExp): Promise<void> {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    assert.match(err.cause?.message ?? '', rule);
  }

  const machines = (count: number) => Array.from({ length: count }, () => h.fake.addMachine().id);
  const posts = () => h.fake.count('postUnisolate');

  it('a dry run resolves and reports what would happen, releasing nothing', async () => {
    const isolated = machines(3);
    const free = h.fake.addMachine({ isolated: false }).id;
    const missing = 'e'.repeat(40);
    const before = posts();
    const handle = await startBatch({ machineIds: [...isolated, free, missing], dryRun: true });
    const report = await handle.result();
    assert.deepEqual([report.dryRun, report.total], [true, 5]);
    for (const id of isolated) assert.equal(report.outcomes[id], 'would-release');
    assert.equal(report.outcomes[free], 'already-released');
    assert.equal(report.outcomes[missing], 'not-found');
    assert.match(report.targetDigest, /^[0-9a-f]{64}$/);
    assert.equal(posts(), before);
    recordHistory(h.env.address, handle, 'bulk-dry-run');
  });

  it('pre-approved: released at once with what the batch read (one POST per machine, no second read)', async () => {
    const ids = machines(4);
    const reads = h.fake.count('lookupMachines');
    const handle = await startBatch({ machineIds: ids, approval: PRE_APPROVED, concurrency: 2 });
    const report = await handle.result();
    assert.deepEqual(report.counts, { released: 4 });
    assert.equal(report.approvedBy, 'bob@contoso.com');
    assert.equal(h.fake.count('lookupMachines') - reads, 1, 'one read of the four, before the approval');
    for (const id of ids) assert.equal(h.fake.posts(id), 1);
    assert.equal(h.fake.count('getMachine'), 0, 'the children were given what the batch read');
  });

  it('one approval for the batch: four-eyes, an early decision and another digest are refused; outcomes per machine', async () => {
    const ok = machines(3);
    const failing = h.fake.addMachine();
    failing.unisolate = { outcome: 'Failed', looks: 1 };
    const free = h.fake.addMachine({ isolated: false }).id;
    const missing = 'd'.repeat(40);
    const handle = await startBatch({ machineIds: [...ok, failing.id, free, missing] });
    const approve = (input: object) => handle.executeUpdate(bulkApproveUpdate, { args: [input as never] });
    const progress = await reach(handle, 'awaiting-approval');
    await refused(approve({ approver: 'alice@contoso.com' }), /four-eyes/);
    await refused(
      approve({ approver: 'bob@contoso.com', targetDigest: '0'.repeat(64) }),
      /targetDigest does not match this batch/,
    );
    await approve({ approver: 'bob@contoso.com', targetDigest: progress.targetDigest });
    const report = await handle.result();
    for (const id of ok) assert.equal(report.outcomes[id], 'released');
    assert.equal(report.outcomes[failing.id], 'failed:MachineActionFailed');
    assert.equal(report.outcomes[free], 'already-released');
    assert.equal(report.outcomes[missing], 'not-found');
    assert.deepEqual(report.counts, { released: 3, failed: 1, 'already-released': 1, 'not-found': 1 });
    assert.equal(h.fake.posts(free), 0);
    const child = await h.env.client.workflow.getHandle(`release-${ok[0]}`).query('status');
    assert.equal((child as { approval: { decision: { by: string } } }).approval.decision.by, 'bob@contoso.com');
    recordHistory(h.env.address, handle, 'bulk-approved-partial-failure');
    recordHistory(h.env.address, h.env.client.workflow.getHandle(`release-${ok[0]}`), 'released-as-bulk-child');
  });

  it('the requester cannot approve her own batch under a look-alike name (a zero-width space…): ApprovalRefused', async () => {
    const ids = machines(2);
    const handle = await startBatch({ machineIds: ids });
    await reach(handle, 'awaiting-approval');
    for (const [trick, approver, rule] of LOOK_ALIKES_OF_ALICE) {
      const err = await handle.executeUpdate(bulkApproveUpdate, { args: [{ approver }] }).catch((e: unknown) => e);
      assert.ok(err instanceof WorkflowUpdateFailedError, `${trick}: ${String(err)}`);
      assert.equal((err.cause as { type?: string }).type, 'ApprovalRefused', trick);
      assert.match(err.cause!.message, rule, trick);
    }
    await refused(
      handle.executeUpdate(bulkRejectUpdate, { args: [{ approver: 'bob@contoso.com', reason: 'no\u202e' }] }),
      /reason must not contain bidirectional override/,
    );
    await handle.executeUpdate(bulkRejectUpdate, { args: [{ approver: 'bob@contoso.com', reason: 'not yet' }] });
    assert.equal((await endOf(handle)).type, 'ReleaseRejected');
    for (const id of ids) assert.equal(h.fake.posts(id), 0);
  });

  it('a look-alike pre-approver, or a workflow id that would forge a tag, ends InvalidInput before any call', async () => {
    const before = h.fake.calls.length;
    const zeroWidth = { preApprovedBy: 'alice\u200b@contoso.com', reason: 'CAB-99' };
    const failure = await endOf(await startBatch({ machineIds: machines(1), approval: zeroWidth }));
    assert.equal(failure.type, 'InvalidInput');
    assert.match(
      failure.message,
      /approval\.preApprovedBy must not contain invisible or formatting characters \(U\+200B\)/,
    );
    const forged = await h.env.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-${FORGING_WORKFLOW_ID}`,
      args: [
        {
          machineIds: machines(1),
          comment: 'Outbreak contained',
          requestedBy: 'alice@contoso.com',
          approval: PRE_APPROVED,
        },
      ],
    });
    const forgedEnd = await endOf(forged);
    assert.equal(forgedEnd.type, 'InvalidInput');
    assert.match(forgedEnd.message, /invalid bulk release request: workflowId must contain only .* \(U\+005D\)/);
    assert.equal(h.fake.calls.length, before, 'no Defender call');
  });

  it('a batch decides on resolved targets only: an approval before them is refused', async () => {
    const open = h.fake.hold('isolationStates');
    const handle = await startBatch({ machineIds: machines(2) });
    try {
      await reach(handle, 'checking');
      await refused(
        handle.executeUpdate(bulkApproveUpdate, { args: [{ approver: 'bob@contoso.com' }] }),
        /not awaiting approval \(state: checking\)/,
      );
    } finally {
      open();
    }
    await reach(handle, 'awaiting-approval');
    await handle.executeUpdate(bulkRejectUpdate, { args: [{ approver: 'bob@contoso.com', reason: 'not yet' }] });
    assert.equal((await endOf(handle)).type, 'ReleaseRejected');
  });

  it('no decision within the approval timeout → ApprovalExpired, nothing posted', async () => {
    const ids = machines(2);
    const handle = await startBatch({ machineIds: ids, approval: { timeout: '2h' } });
    assert.equal((await endOf(handle)).type, 'ApprovalExpired');
    for (const id of ids) assert.equal(h.fake.posts(id), 0);
  });

  it("a machine whose release is already running is reported skipped-running; the batch doesn't wait on it", async () => {
    const [running, other] = machines(2);
    const theirs = await h.env.client.workflow.start('releaseMachine', {
      taskQueue: h.taskQueue,
      workflowId: `release-${running}`,
      args: [{ machineId: running, comment: 'by hand', requestedBy: 'carol@contoso.com' }],
    });
    await h.reach(theirs, 'awaiting-approval');
    const report = await (await startBatch({ machineIds: [running!, other!], approval: PRE_APPROVED })).result();
    assert.deepEqual(report.outcomes, { [running!]: 'skipped-running', [other!]: 'released' });
    await theirs.cancel();
  });

  it('an invalid batch ends InvalidInput before any call; a forged resume is one more unknown field', async () => {
    const before = h.fake.calls.length;
    for (const request of [{ machineIds: [] }, { machineIds: ['nope'] }, { resume: { run: 7 } } as never]) {
      const failure = await endOf(await startBatch(request));
      assert.equal(failure.type, 'InvalidInput');
    }
    assert.equal(h.fake.calls.length, before);
  });
});
