/**
 * Nudges on the time-skipping server (the nudge activity mocked): a release or batch entering awaiting-approval
 * nudges each of its tenant's channels once, with the evidence; a tenant without channels, or a decision taken
 * before the wait, schedules nothing; a nudge that fails or keeps failing changes nothing for the release, and the
 * decision stops it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { approveRelease } from '../../client/release-client.js';
import {
  bulkApproveUpdate,
  DEFAULT_TENANT,
  NudgeFailureType,
  progressQuery,
  type NudgeRequest,
} from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import { eventKinds, startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

const bob = { approver: 'bob@contoso.com' };

describe('nudges', () => {
  let h: FastHarness;
  const received: NudgeRequest[] = [];
  /** Per channel, what the mocked webhook does: answer, or fail with this type (`retryable`). */
  const failing = new Map<string, { type: string; nonRetryable: boolean }>();

  before(async () => {
    h = await startFastHarness('nudge', {
      tenants: [DEFAULT_TENANT, 'lab'],
      nudge: {
        channels: { [DEFAULT_TENANT]: ['teams', 'slack', 'webhook'] },
        async postNudge(nudge) {
          received.push(nudge);
          const failure = failing.get(nudge.channel);
          if (failure) throw ApplicationFailure.create({ message: 'webhook answered HTTP 5xx/404', ...failure });
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
  });

  const of = (workflowId: string) => received.filter((n) => n.workflowId === workflowId);

  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(check(), what);
  }

  /** The nudge activities a history scheduled, and whether any was cancelled. */
  async function nudgeEvents(handle: Parameters<typeof eventKinds>[0]) {
    const { events } = await handle.fetchHistory();
    const scheduled = (events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'postNudge',
    );
    return { scheduled: scheduled.length, kinds: await eventKinds(handle) };
  }

  it('a release awaiting approval nudges each configured channel once, with the evidence', async () => {
    const machine = h.fake.addMachine({ computerDnsName: 'ws-042.contoso.local' });
    const handle = await h.start({ machineId: machine.id, incidentId: 'INC-42' });
    const status = await h.reach(handle, 'awaiting-approval');
    await until(() => of(handle.workflowId).length === 3, 'three nudges');
    const nudges = of(handle.workflowId);
    assert.deepEqual(nudges.map((n) => n.channel).sort(), ['slack', 'teams', 'webhook']);
    const { runId } = await handle.describe();
    for (const nudge of nudges) {
      assert.deepEqual(
        { ...nudge, channel: undefined },
        {
          channel: undefined,
          subject: 'release',
          tenant: null,
          workflowId: handle.workflowId,
          runId,
          requestedBy: 'alice@contoso.com',
          incidentId: 'INC-42',
          comment: 'Clean after re-imaging',
          expiresAt: status.approval.expiresAt,
          verification: 'off',
          machine: { id: machine.id, computerDnsName: 'ws-042.contoso.local' },
        },
      );
    }
    // Polls and queries do not nudge again: once per state change.
    for (let i = 0; i < 5; i++) await h.status(handle);
    await approveRelease(h.env.client, handle.workflowId, bob);
    assert.equal((await handle.result()).outcome, 'released');
    assert.equal(of(handle.workflowId).length, 3);
    assert.equal((await nudgeEvents(handle)).scheduled, 3);
  });

  it('a tenant without channels: no nudge activity, nothing in history', async () => {
    const machine = h.fake.addMachine();
    const handle = await h.start({ machineId: machine.id, tenant: 'lab' });
    await h.reach(handle, 'awaiting-approval');
    await approveRelease(h.env.client, handle.workflowId, bob);
    assert.equal((await handle.result()).outcome, 'released');
    assert.equal(of(handle.workflowId).length, 0);
    assert.equal((await nudgeEvents(handle)).scheduled, 0);
  });

  it('a decision taken before the wait: no nudge', async () => {
    const machine = h.fake.addMachine();
    const open = h.fake.hold('listIsolationActions');
    const handle = await h.start({ machineId: machine.id });
    try {
      await h.reach(handle, 'checking');
      await approveRelease(h.env.client, handle.workflowId, bob);
    } finally {
      open();
    }
    assert.equal((await handle.result()).outcome, 'released');
    assert.equal((await nudgeEvents(handle)).scheduled, 0);
    assert.equal(of(handle.workflowId).length, 0);
  });

  it('a refused nudge (404) and one that keeps failing (5xx) change nothing; the decision stops the retries', async () => {
    failing.set('teams', { type: NudgeFailureType.Refused, nonRetryable: true });
    failing.set('slack', { type: NudgeFailureType.ServerError, nonRetryable: false });
    try {
      const machine = h.fake.addMachine();
      const handle = await h.start({ machineId: machine.id });
      await h.reach(handle, 'awaiting-approval');
      await until(() => of(handle.workflowId).length === 3, 'each channel tried');
      assert.equal((await h.status(handle)).state, 'awaiting-approval');
      await approveRelease(h.env.client, handle.workflowId, bob);
      const result = await handle.result();
      assert.deepEqual([result.outcome, result.approvedBy], ['released', 'bob@contoso.com']);
      const teams = of(handle.workflowId).filter((n) => n.channel === 'teams');
      assert.equal(teams.length, 1, 'a refused nudge is not retried');
      const { kinds } = await nudgeEvents(handle);
      assert.ok(kinds.includes('activityTaskCancelRequested'), 'the still-retried nudge was cancelled');
    } finally {
      failing.clear();
    }
  });

  it('a batch awaiting approval nudges each channel once, with its targets', async () => {
    const ids = [h.fake.addMachine().id, h.fake.addMachine().id];
    const handle = await h.env.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-${h.taskQueue}-nudge`,
      args: [{ machineIds: ids, comment: 'Outbreak contained', requestedBy: 'alice@contoso.com' }],
    });
    let progress = await handle.query(progressQuery);
    for (let i = 0; i < 300 && progress.state !== 'awaiting-approval'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      progress = await handle.query(progressQuery);
    }
    await until(() => of(handle.workflowId).length === 3, 'three nudges');
    for (const nudge of of(handle.workflowId)) {
      assert.equal(nudge.subject, 'batch');
      assert.deepEqual(nudge.targets, { count: 2, digest: progress.targetDigest });
      assert.equal(nudge.machine, undefined);
    }
    await handle.executeUpdate(bulkApproveUpdate, { args: [{ ...bob, targetDigest: progress.targetDigest! }] });
    const report = await handle.result();
    assert.equal(report.counts.released, 2);
    assert.equal(of(handle.workflowId).length, 3, 'once for the batch, none for its releases');
  });

  it('a batch that continues as new (over 500 targets) does not nudge again for the same wait', async () => {
    const ids = Array.from({ length: 501 }, () => h.fake.addMachine().id);
    const total = received.length;
    const handle = await h.env.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-${h.taskQueue}-nudge-continued`,
      args: [{ machineIds: ids, comment: 'Outbreak contained', requestedBy: 'alice@contoso.com', concurrency: 200 }],
    });
    let progress = await handle.query(progressQuery);
    for (let i = 0; i < 1500 && progress.state !== 'awaiting-approval'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      progress = await handle.query(progressQuery);
    }
    await until(() => of(handle.workflowId).length === 3, 'three nudges');
    await handle.executeUpdate(bulkApproveUpdate, { args: [{ ...bob, targetDigest: progress.targetDigest! }] });
    const report = await handle.result();
    assert.equal(report.counts.released, 501);
    const firstRun = await eventKinds(h.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId));
    assert.equal(firstRun.at(-1), 'workflowExecutionContinuedAsNew');
    assert.equal(received.length - total, 3, 'the later run nudged nobody');
  });
});
