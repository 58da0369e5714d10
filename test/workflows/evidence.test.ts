/**
 * What a release records for its approver (issue 17): the isolating action and the device's health, read in the
 * check's one activity when a person will decide, handed over by a batch, and never a reason to fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { approveRelease } from '../../client/release-client.js';
import { bulkApproveUpdate, progressQuery, type BulkProgress, type ReleaseStatus } from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import { eventKinds, startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

const bob = { approver: 'bob@contoso.com' };

describe('releaseMachine: evidence for the approver', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('release-evidence');
  });
  after(async () => {
    await h?.stop();
  });

  it('awaiting a decision: since when and by whom isolated, the comment, health and last seen; one activity', async () => {
    // An open enum: a value Defender adds later is shown as it comes.
    const machine = h.fake.addMachine({ healthStatus: 'NoSensorDataImpairedCommunication' });
    const isolate = h.fake.actions.find((a) => a.machineId === machine.id && a.type === 'Isolate')!;
    isolate.comment = `Ransomware note on the share <script>alert(1)</script> ${'x'.repeat(3_000)}`;
    const handle = await h.start({ machineId: machine.id });
    const waiting = await h.reach(handle, 'awaiting-approval');
    assert.deepEqual(
      { ...waiting.isolation!, comment: waiting.isolation!.comment!.slice(0, 40) },
      {
        actionId: isolate.id,
        isolatedAt: isolate.updatedAt,
        isolatedBy: 'analyst@contoso.com',
        comment: 'Ransomware note on the share <script>ale',
      },
    );
    assert.ok(waiting.isolation!.comment!.length <= 1_001, 'the isolating comment is bounded');
    assert.deepEqual(waiting.device, {
      healthStatus: 'NoSensorDataImpairedCommunication',
      lastSeen: '2026-12-01T07:42:13.2011911Z',
    });
    assert.equal(h.fake.count('getMachine'), 0, 'the device was read in the activity that lists the actions');

    await approveRelease(h.env.client, handle.workflowId, { ...bob, comment: 'clean' });
    await handle.result();
    const kinds = await eventKinds(handle);
    assert.equal(kinds.filter((k) => k === 'activityTaskScheduled').length, 3, 'list, POST, re-check: no extra read');
  });

  it('pre-approved: the isolating action is recorded, the device is not read', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'change-board', reason: 'CHG-1' },
    });
    await handle.result();
    const status: ReleaseStatus = await h.status(handle);
    assert.equal(status.isolation?.isolatedBy, 'analyst@contoso.com');
    assert.equal(status.device, undefined, 'no evidence read for a decision nobody takes here');
  });

  it('a device Defender does not answer for is unknown evidence, not a failed release', async () => {
    const machine = h.fake.addMachine();
    // The machine's isolation history remains; the machine itself is gone (retention, offboarding).
    h.fake.machines.delete(machine.id);
    const handle = await h.start({ machineId: machine.id });
    const waiting = await h.reach(handle, 'awaiting-approval');
    assert.equal(waiting.device, null);
    assert.ok(waiting.isolation?.actionId);
    await handle.terminate('test done');
  });

  it('a batch lists its targets, digest and dry run for the approver, and hands each release the device it read', async () => {
    const ids = [h.fake.addMachine({ healthStatus: 'Inactive' }).id, h.fake.addMachine({ isolated: false }).id];
    const handle = await h.env.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-evidence-${h.taskQueue}`,
      args: [{ machineIds: ids, comment: 'Outbreak contained', requestedBy: 'alice@contoso.com', incidentId: 'INC-7' }],
    });
    let progress: BulkProgress | undefined;
    for (let i = 0; i < 300 && progress?.state !== 'awaiting-approval'; i++) {
      progress = await handle.query(progressQuery).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(
      [progress?.requestedBy, progress?.incidentId, progress?.tenant, progress?.approval.approvers],
      ['alice@contoso.com', 'INC-7', null, null],
    );
    assert.deepEqual(progress?.review?.wouldBe, { 'would-release': 1, 'already-released': 1 });
    assert.deepEqual(
      progress?.review?.shown.map((t) => [t.machineId, t.wouldBe, t.device?.healthStatus]),
      [
        [ids[0], 'would-release', 'Inactive'],
        [ids[1], 'already-released', 'Active'],
      ],
    );
    await handle.executeUpdate(bulkApproveUpdate, { args: [{ ...bob, targetDigest: progress!.targetDigest! }] });
    await handle.result();
    const child: ReleaseStatus = await h.status(h.env.client.workflow.getHandle(`release-${ids[0]}`));
    assert.equal(child.device?.healthStatus, 'Inactive', 'the release recorded what the batch read');
    assert.equal(child.isolation?.isolatedBy, 'analyst@contoso.com');
  });
});
