/**
 * A 1000-machine batch against a simulator that enforces Defender's 100/min and 1500/h per app+tenant, time-compressed
 * 60x (a simulated minute lasts a second): zero duplicate actions, zero 429s, at most 3 API calls per released machine.
 * One device is offline until the batch is well into its second run (continue-as-new after 500 children): the batch
 * must keep releasing the others meanwhile, and learn the offline device's outcome in the later run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { progressQuery, type BulkReport } from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import { recordHistory } from '../helpers/histories.js';
import { startRateLimitedHarness, type ReleaseHarness } from '../helpers/release-harness.js';

const MACHINES = Number(process.env.BULK_SCALE_MACHINES ?? 1000);
const TIME_SCALE = 60;

/** Checks `reached` every 250 ms; fails with `stalled()` once `timeoutMs` have passed without it. */
async function waitUntil(reached: () => boolean | Promise<boolean>, timeoutMs: number, stalled: () => string) {
  for (const giveUpAt = Date.now() + timeoutMs; !(await reached()); await setTimeout(250)) {
    assert.ok(Date.now() < giveUpAt, stalled());
  }
}

describe(`bulkRelease at scale (${MACHINES} machines, Defender limits on, ${TIME_SCALE}x time)`, () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startRateLimitedHarness('bulk-scale', TIME_SCALE);
  });
  after(async () => {
    await h?.stop();
  });

  /** A pre-approved batch of `ids` whose first machine is offline (its action stays Pending until bringOnline). */
  async function startBatchWithOfflineDevice(ids: string[], workflowId: string) {
    const offline = ids[0]!;
    h.sim.setBehavior(offline, { stuckPending: true });
    h.sim.clearRequests();
    const handle = await h.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId,
      args: [
        {
          machineIds: ids,
          comment: 'Outbreak contained',
          requestedBy: 'soc-automation',
          approval: { preApprovedBy: 'incident-commander@contoso.com', reason: 'IR-2026-11' },
          concurrency: 200,
          pollInterval: '1s',
          deadline: '1h',
        },
      ],
    });
    const posts = () => h.sim.requests.filter((r) => r.endpoint === 'unisolateMachine' && r.status === 201).length;
    const offlineRelease = () => h.sim.machineActions(offline).find((a) => a.type === 'Unisolate');
    return { offline, handle, posts, offlineRelease };
  }

  /** A 520-machine batch with an offline device, once it has continued as new with that device's release open. */
  async function batchInSecondRun(workflowId: string) {
    const ids = Array.from({ length: 520 }, () => h.sim.addMachine({ isolated: true }).id);
    const batch = await startBatchWithOfflineDevice(ids, workflowId);
    await waitUntil(
      () => batch.posts() >= 505 && batch.offlineRelease() !== undefined,
      240_000,
      () => `the batch stalled at ${batch.posts()} releases`,
    );
    assert.ok((await batch.handle.query(progressQuery)).run >= 2, 'the batch continued as new');
    return { ids, ...batch };
  }

  it('releases every machine once, within the budget, and does not wait on an offline device between runs', async () => {
    const ids = Array.from({ length: MACHINES }, () => h.sim.addMachine({ isolated: true }).id);
    // The first machine is offline: its release stays open while the batch continues as new after 500 children.
    const started = Date.now();
    const { offline, handle, posts, offlineRelease } = await startBatchWithOfflineDevice(
      ids,
      `bulk-scale-${h.taskQueue}`,
    );
    // Well past the first run's 500 children, while the offline device's release is still open.
    const target = MACHINES > 500 ? 500 + Math.ceil((MACHINES - 500) / 2) : Math.ceil(MACHINES / 2);
    await waitUntil(
      () => posts() >= target && offlineRelease() !== undefined,
      240_000,
      () => `the batch stalled at ${posts()} releases while one device was offline`,
    );
    assert.equal(offlineRelease()?.status, 'Pending', 'the offline device is still pending');
    const progress = await handle.query(progressQuery);
    if (MACHINES > 500) assert.ok(progress.run >= 2, `continued as new (run ${progress.run})`);
    h.sim.bringOnline(offline);

    const report: BulkReport = await handle.result();
    const seconds = (Date.now() - started) / 1000;
    const api = h.sim.requests.filter((r) => r.endpoint !== 'token');
    const throttled = api.filter((r) => r.status === 429).length;
    const duplicates = ids.filter((id) => h.sim.machineActions(id).filter((a) => a.type === 'Unisolate').length !== 1);
    const perMachine = api.length / MACHINES;
    console.log(
      `bulk-scale: ${MACHINES} machines in ${seconds.toFixed(1)} s (= ${((seconds * TIME_SCALE) / 60).toFixed(1)} simulated min), ` +
        `${api.length} API calls (${perMachine.toFixed(3)} per machine), ${throttled} x 429, ${duplicates.length} duplicates`,
    );
    assert.equal(report.counts.released, MACHINES, JSON.stringify(report.counts));
    assert.equal(report.outcomes[offline], 'released', 'the offline device reported to a later run of the batch');
    assert.deepEqual(duplicates, [], 'exactly one Unisolate action per machine');
    assert.equal(throttled, 0, 'no 429 from Defender');
    assert.ok(perMachine <= 3, `${perMachine} API calls per released machine`);
  });

  it('a release terminated after its batch continued as new ends in the report as terminated; the batch does not wait on it', async () => {
    const { ids, offline, handle } = await batchInSecondRun(`bulk-scale-terminated-${h.taskQueue}`);
    // An operator terminates the release in the Temporal UI: it runs no more code, so it never reports.
    await h.client.workflow.getHandle(`release-${offline}`).terminate('operator: device decommissioned');
    const report = await Promise.race([
      handle.result(),
      setTimeout(180_000).then(() => assert.fail('the batch still waits on the terminated release')),
    ]);
    assert.equal(report.outcomes[offline], 'failed:ReleaseTerminated');
    assert.equal(report.counts.released, ids.length - 1);
    assert.equal(report.counts.failed, 1);
    // The last run's history: it waited on the first run's release and found it terminated.
    recordHistory(h.env.address, h.client.workflow.getHandle(handle.workflowId), 'bulk-swept-terminated-release');
  });

  it('cancelling a batch that waits only on releases its earlier runs left open cancels them and ends cancelled', async () => {
    const { ids, offline, handle, offlineRelease } = await batchInSecondRun(`bulk-scale-cancel-${h.taskQueue}`);
    // Cancel only once this run's own releases have all ended: the batch then waits on nothing but the offline device's
    // release, which an earlier run started and which is not this run's child (a cancel ignored there held a batch
    // for its releases' whole deadline).
    let counts: Record<string, number> = {};
    await waitUntil(
      async () => {
        ({ counts } = await handle.query(progressQuery));
        return counts.released === ids.length - 1;
      },
      120_000,
      () => `the batch stalled: ${JSON.stringify(counts)}`,
    );
    await handle.cancel();
    const ended = await Promise.race([
      handle.result().then(
        () => 'completed',
        (err: unknown) => err,
      ),
      setTimeout(60_000).then(() => 'still running a minute after the cancel'),
    ]);
    assert.ok(ended instanceof WorkflowFailedError, `the batch ended: ${String(ended)}`);
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    const release = h.client.workflow.getHandle(`release-${offline}`);
    await assert.rejects(release.result(), (err: unknown) => err instanceof WorkflowFailedError);
    assert.equal((await release.describe()).status.name, 'CANCELLED');
    assert.equal(offlineRelease()?.status, 'Cancelled');
    recordHistory(
      h.env.address,
      h.client.workflow.getHandle(handle.workflowId),
      'bulk-cancelled-waiting-on-earlier-run',
    );
  });
});
