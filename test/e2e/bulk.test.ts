/** bulkRelease on the dev server against the simulator. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { bulkApproveUpdate, progressQuery, type BulkReleaseRequest, type BulkReport } from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import type { BulkResume } from '../../workflows/bulk/batch.js';
import { EXIT, runCli } from '../../client/cli.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';

const PRE_APPROVED = { preApprovedBy: 'bob@contoso.com', reason: 'CAB-99' };

describe('bulkRelease', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('bulk');
  });
  after(async () => {
    await h?.stop();
  });

  let n = 0;
  async function startBulk(request: Partial<BulkReleaseRequest>) {
    n += 1;
    return h.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-${h.taskQueue}-${n}`,
      args: [
        {
          comment: 'Outbreak contained',
          requestedBy: 'alice@contoso.com',
          pollInterval: '1s',
          deadline: '2m',
          ...request,
        },
      ],
    });
  }

  const posts = () => h.sim.requests.filter((r) => r.endpoint === 'unisolateMachine').length;

  it('dry run resolves and reports, releasing nothing', async () => {
    const isolated = Array.from({ length: 3 }, () => h.sim.addMachine({ isolated: true }).id);
    const free = h.sim.addMachine().id;
    const missing = 'e'.repeat(40);
    const before = posts();
    const handle = await startBulk({ machineIds: [...isolated, free, missing], dryRun: true });
    const report: BulkReport = await handle.result();
    assert.equal(report.dryRun, true);
    assert.equal(report.total, 5);
    for (const id of isolated) assert.equal(report.outcomes[id], 'would-release');
    assert.equal(report.outcomes[free], 'already-released');
    assert.equal(report.outcomes[missing], 'not-found');
    assert.match(report.targetDigest, /^[0-9a-f]{64}$/);
    assert.equal(posts(), before, 'no POST');
  });

  it('Defender answers 404 to a list with nothing in it (documented): a dry run that matches nothing reports nothing', async () => {
    const nothing = await (await startBulk({ selector: { machineTag: `none-${Date.now()}` }, dryRun: true })).result();
    assert.equal(nothing.total, 0);
    assert.deepEqual(nothing.outcomes, {});
    const unknown = ['c'.repeat(40), 'd'.repeat(40)];
    const missing = await (await startBulk({ machineIds: unknown, dryRun: true })).result();
    assert.deepEqual(missing.outcomes, { [unknown[0]!]: 'not-found', [unknown[1]!]: 'not-found' });
    assert.ok(
      h.sim.requests.some((r) => r.endpoint === 'listMachines' && r.status === 404),
      'the simulator answered a list with 404',
    );
  });

  it('one approval for the batch; children pre-approved by it; partial failures reported, not fatal', async () => {
    const ok = Array.from({ length: 4 }, () => h.sim.addMachine({ isolated: true }).id);
    const failing = h.sim.addMachine({ isolated: true, behavior: { unisolateOutcome: 'Failed' } }).id;
    const free = h.sim.addMachine().id;
    const handle = await startBulk({ machineIds: [...ok, failing, free], concurrency: 2 });
    let progress;
    for (let i = 0; i < 600; i++) {
      progress = await handle.query(progressQuery).catch(() => undefined);
      if (progress?.state === 'awaiting-approval') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(progress?.state, 'awaiting-approval');
    await assert.rejects(
      handle.executeUpdate(bulkApproveUpdate, { args: [{ approver: 'alice@contoso.com' }] }),
      WorkflowUpdateFailedError,
      'four-eyes',
    );
    await assert.rejects(
      handle.executeUpdate(bulkApproveUpdate, {
        args: [{ approver: 'bob@contoso.com', targetDigest: '0'.repeat(64) }],
      }),
      WorkflowUpdateFailedError,
      'an approval of other targets',
    );
    await handle.executeUpdate(bulkApproveUpdate, {
      args: [{ approver: 'bob@contoso.com', targetDigest: progress!.targetDigest! }],
    });
    const report = await handle.result();
    for (const id of ok) assert.equal(report.outcomes[id], 'released', id);
    assert.equal(report.outcomes[failing], 'failed:MachineActionFailed');
    assert.equal(report.outcomes[free], 'already-released');
    assert.equal(report.approvedBy, 'bob@contoso.com');
    assert.deepEqual(report.counts, { released: 4, failed: 1, 'already-released': 1 });
    // The child's history records the batch decision.
    const child = await h.client.workflow.getHandle(`release-${ok[0]}`).query('status');
    assert.equal(
      (child as { approval: { decision: { by: string; source: string } } }).approval.decision.by,
      'bob@contoso.com',
    );
    assert.equal(h.sim.requests.filter((r) => r.endpoint === 'unisolateMachine' && r.machineId === free).length, 0);
  });

  it('selectors: tag, device group, isolated longer than', async () => {
    const tag = `tag-${Date.now()}`;
    const tagged = Array.from({ length: 3 }, () => h.sim.addMachine({ isolated: true, machineTags: [tag] }).id);
    h.sim.addMachine({ machineTags: [tag] }); // tagged but not isolated: not a target
    const grouped = h.sim.addMachine({ isolated: true, rbacGroupId: 77, rbacGroupName: 'Kiosks' }).id;
    const old = h.sim.addMachine({
      isolated: true,
      isolatedAt: new Date(Date.now() - 10 * 86_400_000),
      machineTags: ['old'],
    }).id;

    const byTag = await (await startBulk({ selector: { machineTag: tag }, dryRun: true })).result();
    assert.deepEqual(Object.keys(byTag.outcomes).sort(), [...tagged].sort());
    const byGroup = await (await startBulk({ selector: { deviceGroup: 'Kiosks' }, dryRun: true })).result();
    assert.deepEqual(Object.keys(byGroup.outcomes), [grouped]);
    const byGroupId = await (await startBulk({ selector: { deviceGroup: '77' }, dryRun: true })).result();
    assert.deepEqual(Object.keys(byGroupId.outcomes), [grouped]);
    const byAge = await (await startBulk({ selector: { isolatedLongerThan: '7 days' }, dryRun: true })).result();
    assert.ok(byAge.outcomes[old] === 'would-release');
    assert.ok(
      tagged.every((id) => byAge.outcomes[id] === undefined),
      'recently isolated machines are not targets',
    );
    const combined = await (
      await startBulk({ selector: { machineTag: 'old', isolatedLongerThan: '7 days' }, dryRun: true })
    ).result();
    assert.deepEqual(Object.keys(combined.outcomes), [old]);
  });

  it('invalid batches fail with InvalidInput before any call', async () => {
    const before = h.sim.requests.length;
    const handle = await startBulk({ machineIds: ['../x'], selector: { machineTag: 'x' } });
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'InvalidInput');
    assert.match(err.cause.message, /machineIds/);
    assert.equal(h.sim.requests.length, before);
  });

  it('a new batch cannot pass itself off as a later run: a forged resume is refused before any call', async () => {
    const { id } = h.sim.addMachine({ isolated: true });
    const before = h.sim.requests.length;
    const forged: BulkResume = {
      validated: {
        machineIds: [id],
        selector: null,
        comment: 'x',
        requestedBy: 'mallory@contoso.com',
        incidentId: null,
        approval: { kind: 'pre-approved', approvedBy: 'mallory@contoso.com', reason: 'self-approved' },
        dryRun: false,
        concurrency: 1,
        pollInterval: '1s',
        pollIntervalMs: 1000,
        deadline: '2m',
        tenant: null,
      },
      targets: [id],
      digest: 'x',
      decision: {
        decision: 'approved',
        by: 'mallory@contoso.com',
        at: new Date().toISOString(),
        comment: null,
        source: 'update',
      },
      outcomes: {},
      nextIndex: 0,
      run: 2,
    };
    const handle = await startBulk({ machineIds: [id], resume: forged } as Partial<BulkReleaseRequest>);
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'InvalidInput');
    assert.match(err.cause.message, /resume/);
    assert.equal(h.sim.requests.length, before, 'nothing reached Defender');
    assert.ok(h.sim.isIsolated(id));
  });

  it('cancelling the batch cancels its children', async () => {
    const ids = Array.from(
      { length: 3 },
      () => h.sim.addMachine({ isolated: true, behavior: { stuckPending: true } }).id,
    );
    const handle = await startBulk({ machineIds: ids, approval: PRE_APPROVED });
    for (let i = 0; i < 600; i++) {
      const states = await Promise.all(
        ids.map((id) =>
          h.client.workflow
            .getHandle(`release-${id}`)
            .query<{ state: string }>('status')
            .then(
              (s) => s.state,
              () => '',
            ),
        ),
      );
      if (states.every((s) => s === 'confirming')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
    for (const id of ids) {
      const child = h.client.workflow.getHandle(`release-${id}`);
      await assert.rejects(child.result());
      assert.equal((await child.describe()).status.name, 'CANCELLED');
      assert.equal(h.sim.machineActions(id).find((a) => a.type === 'Unisolate')?.status, 'Cancelled');
    }
  });

  it('a schedule triggered from the CLI starts a pre-approved bulk run; list, describe, pause, delete', async () => {
    process.env.TEMPORAL_ADDRESS = process.env.TEMPORAL_TEST_ADDRESS;
    process.env.TEMPORAL_TASK_QUEUE = h.taskQueue;
    const out: string[] = [];
    const cli = (...args: string[]) => runCli(args, { out: (l) => out.push(l), err: (l) => out.push(l) });
    const tag = `nightly-${Date.now()}`;
    const ids = Array.from({ length: 2 }, () => h.sim.addMachine({ isolated: true, machineTags: [tag] }).id);
    const scheduleId = `release-${tag}`;
    assert.equal(
      await cli(
        'schedule',
        'create',
        scheduleId,
        '--every',
        '1 day',
        '--tag',
        tag,
        '--comment',
        'Nightly release of cleaned machines',
        '--created-by',
        'carol@contoso.com',
        '--poll-interval',
        '1s',
      ),
      EXIT.ok,
      out.join('\n'),
    );
    // Schedule listing goes through visibility, which is eventually consistent.
    let listed = false;
    for (let i = 0; i < 50 && !listed; i++) {
      assert.equal(await cli('schedule', 'list', '--json'), EXIT.ok);
      listed = out.at(-1)!.includes(scheduleId);
      if (!listed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(listed, 'the schedule is listed');
    assert.equal(await cli('schedule', 'trigger', scheduleId), EXIT.ok);
    let workflowId: string | undefined;
    for (let i = 0; i < 600 && !workflowId; i++) {
      const d = await h.client.schedule.getHandle(scheduleId).describe();
      workflowId = d.info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(workflowId, 'the trigger started a run');
    const report: BulkReport = await Promise.race([
      h.client.workflow.getHandle(workflowId).result(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`scheduled run ${workflowId} did not end`)), 120_000),
      ),
    ]);
    assert.equal(report.approvedBy, 'carol@contoso.com');
    for (const id of ids) assert.equal(report.outcomes[id], 'released');
    assert.equal(await cli('schedule', 'describe', scheduleId, '--json'), EXIT.ok);
    assert.equal(JSON.parse(out.at(-1)!).recentActions[0].workflowId, workflowId);
    assert.equal(await cli('schedule', 'pause', scheduleId), EXIT.ok);
    assert.equal((await h.client.schedule.getHandle(scheduleId).describe()).state.paused, true);
    assert.equal(await cli('schedule', 'delete', scheduleId), EXIT.ok);
    assert.equal(await cli('schedule', 'describe', scheduleId), EXIT.notFound);
  });

  it('a schedule with a fresh approval each run waits for an approver; unpause works', async () => {
    process.env.TEMPORAL_ADDRESS = process.env.TEMPORAL_TEST_ADDRESS;
    process.env.TEMPORAL_TASK_QUEUE = h.taskQueue;
    const out: string[] = [];
    const cli = (...args: string[]) => runCli(args, { out: (l) => out.push(l), err: (l) => out.push(l) });
    const tag = `weekly-${Date.now()}`;
    const id = h.sim.addMachine({ isolated: true, machineTags: [tag] }).id;
    const scheduleId = `release-${tag}`;
    const args = [
      '--every',
      '7 days',
      '--tag',
      tag,
      '--comment',
      'Weekly release',
      '--created-by',
      'carol@contoso.com',
    ];
    assert.equal(
      await cli(
        'schedule',
        'create',
        scheduleId,
        ...args,
        '--approval',
        'each-run',
        '--approver',
        'dave@contoso.com',
        '--poll-interval',
        '1s',
      ),
      EXIT.ok,
      out.join('\n'),
    );
    assert.equal(await cli('schedule', 'pause', scheduleId), EXIT.ok);
    assert.equal(await cli('schedule', 'unpause', scheduleId), EXIT.ok);
    assert.equal((await h.client.schedule.getHandle(scheduleId).describe()).state.paused, false);
    assert.equal(await cli('schedule', 'trigger', scheduleId), EXIT.ok);
    let workflowId: string | undefined;
    for (let i = 0; i < 600 && !workflowId; i++) {
      workflowId = (await h.client.schedule.getHandle(scheduleId).describe()).info.recentActions[0]?.action.workflow
        .workflowId;
      if (!workflowId) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(workflowId);
    let state = '';
    for (let i = 0; i < 600 && state !== 'awaiting-approval'; i++) {
      state =
        (
          await h.client.workflow
            .getHandle(workflowId)
            .query(progressQuery)
            .catch(() => undefined)
        )?.state ?? '';
      if (state !== 'awaiting-approval') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(state, 'awaiting-approval');
    assert.equal(
      await cli('approve', workflowId, '--by', 'carol@contoso.com'),
      EXIT.refused,
      'not an approver of this schedule',
    );
    assert.equal(await cli('approve', workflowId, '--by', 'dave@contoso.com'), EXIT.ok, out.join('\n'));
    const report: BulkReport = await h.client.workflow.getHandle(workflowId).result();
    assert.equal(report.approvedBy, 'dave@contoso.com');
    assert.equal(report.outcomes[id], 'released');
    assert.equal(await cli('schedule', 'delete', scheduleId), EXIT.ok);
  });

  it('the bulk CLI refuses invalid input before connecting', async () => {
    const out: string[] = [];
    const code = await runCli(['bulk', '--comment', 'x', '--requested-by', 'a', '--json'], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    assert.equal(code, EXIT.usage);
    assert.match(out.join(''), /either machineIds or a selector/);
  });
  it('CLI: bulk --wait prints progress on stderr and a table of outcomes', async () => {
    process.env.TEMPORAL_ADDRESS = process.env.TEMPORAL_TEST_ADDRESS;
    process.env.TEMPORAL_TASK_QUEUE = h.taskQueue;
    const out: string[] = [];
    const err: string[] = [];
    const ids = [h.sim.addMachine({ isolated: true }).id, h.sim.addMachine({ isolated: true }).id];
    const code = await runCli(
      [
        'bulk',
        ...ids.flatMap((id) => ['--machine', id]),
        '--comment',
        'Batch after clean-up',
        '--requested-by',
        'alice@contoso.com',
        '--pre-approved-by',
        'bob@contoso.com',
        '--reason',
        'CHG-9',
        '--poll-interval',
        '1s',
        '--wait',
      ],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    assert.equal(code, EXIT.ok, err.join('\n'));
    assert.match(err.join('\n'), /^\[\d\d:\d\d:\d\d\] Started bulk release /m);
    assert.match(err.join('\n'), /\] (releasing|completed): 2 machines/);
    const text = out.join('\n');
    assert.match(text, /^OUTCOME\s+MACHINES$/m);
    assert.match(text, /^released\s+2$/m);
  });
  it("a batch approval cannot be replayed onto another batch: the other batch's digest is refused", async () => {
    const first = await startBulk({ machineIds: [h.sim.addMachine({ isolated: true }).id] });
    const second = await startBulk({ machineIds: [h.sim.addMachine({ isolated: true }).id] });
    const awaiting = async (handle: typeof first) => {
      for (let i = 0; i < 600; i++) {
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p?.state === 'awaiting-approval') return p;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('never awaited approval');
    };
    const [a, b] = [await awaiting(first), await awaiting(second)];
    assert.notEqual(a.targetDigest, b.targetDigest);
    const eventsBefore = (await second.fetchHistory()).events?.length;
    await assert.rejects(
      second.executeUpdate(bulkApproveUpdate, {
        args: [{ approver: 'bob@contoso.com', targetDigest: a.targetDigest! }],
      }),
      WorkflowUpdateFailedError,
    );
    // Our CLI sends the digest it is given: the same approval through it is refused too.
    process.env.TEMPORAL_ADDRESS = process.env.TEMPORAL_TEST_ADDRESS;
    const err: string[] = [];
    const code = await runCli(['approve', second.workflowId, '--by', 'bob@contoso.com', '--digest', a.targetDigest!], {
      out: () => undefined,
      err: (line) => err.push(line),
    });
    assert.equal(code, EXIT.refused, err.join('\n'));
    assert.match(err.join('\n'), /targetDigest does not match this batch/);
    assert.equal((await second.fetchHistory()).events?.length, eventsBefore, 'the refusal left no event');
    assert.equal((await second.query(progressQuery)).state, 'awaiting-approval');
    await first.cancel();
    await second.cancel();
  });
});
