/**
 * A 1000-machine batch against a simulator that enforces Defender's 100/min and 1500/h per app+tenant, time-compressed
 * 60x (a simulated minute lasts a second): zero duplicate actions, zero 429s, at most 3 API calls per released machine.
 * Two devices are offline until the batch is well into its second run (continue-as-new after 500 children): the batch
 * must keep releasing the others meanwhile. Then one comes online and reports its outcome to the later run; the other's
 * release is terminated by an operator (it runs no more code, so it never reports): the batch finds it and does not
 * wait on it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { progressQuery, type BulkReport } from '../../contract/index.js';
import { startBatchWithOfflineDevice, waitUntil } from '../helpers/bulk-batches.js';
import { recordHistory } from '../helpers/histories.js';
import { startRateLimitedHarness, type ReleaseHarness } from '../helpers/release-harness.js';

const MACHINES = Number(process.env.BULK_SCALE_MACHINES ?? 1000);
const TIME_SCALE = 60;

describe(`bulkRelease at scale (${MACHINES} machines, Defender limits on, ${TIME_SCALE}x time)`, () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startRateLimitedHarness('bulk-scale', TIME_SCALE);
  });
  after(async () => {
    await h?.stop();
  });

  it('releases every machine once within the budget, waits on no offline device between runs, and sweeps a terminated release', async () => {
    const ids = Array.from({ length: MACHINES }, () => h.sim.addMachine({ isolated: true }).id);
    const started = Date.now();
    const batch = await startBatchWithOfflineDevice(h, ids, `bulk-scale-${h.taskQueue}`, 2);
    const [online, terminated] = batch.offlineIds as [string, string];
    // Well past the first run's 500 children, while the offline devices' releases are still open.
    const target = MACHINES > 500 ? 500 + Math.ceil((MACHINES - 500) / 2) : Math.ceil(MACHINES / 2);
    let last = '';
    await waitUntil(
      async () => {
        // What the batch says of itself, for the message if it stalls.
        const p = await batch.handle.query(progressQuery).catch(() => undefined);
        last = p ? `run ${p.run}, ${p.state}, ${JSON.stringify(p.counts)}` : 'no answer';
        return batch.posts() >= target && batch.offlineIds.every((id) => batch.releaseOf(id) !== undefined);
      },
      // A hang guard, not a timing: under a full run's contention the first run alone has taken four minutes.
      420_000,
      () =>
        `the batch stalled at ${batch.posts()} releases while two devices were offline (${last}; ` +
        `${h.sim.requests.filter((r) => r.status === 429).length} x 429)`,
    );
    assert.equal(batch.releaseOf(online)?.status, 'Pending', 'the offline device is still pending');
    const progress = await batch.handle.query(progressQuery);
    if (MACHINES > 500) assert.ok(progress.run >= 2, `continued as new (run ${progress.run})`);
    h.sim.bringOnline(online);
    // An operator terminates the other release in the Temporal UI.
    await h.client.workflow.getHandle(`release-${terminated}`).terminate('operator: device decommissioned');

    const report: BulkReport = await batch.handle.result();
    const seconds = (Date.now() - started) / 1000;
    const api = h.sim.requests.filter((r) => r.endpoint !== 'token');
    const throttled = api.filter((r) => r.status === 429).length;
    const duplicates = ids.filter((id) => h.sim.machineActions(id).filter((a) => a.type === 'Unisolate').length !== 1);
    const perMachine = api.length / MACHINES;
    console.log(
      `bulk-scale: ${MACHINES} machines in ${seconds.toFixed(1)} s (= ${((seconds * TIME_SCALE) / 60).toFixed(1)} simulated min), ` +
        `${api.length} API calls (${perMachine.toFixed(3)} per machine), ${throttled} x 429, ${duplicates.length} duplicates`,
    );
    assert.equal(report.counts.released, MACHINES - 1, JSON.stringify(report.counts));
    assert.equal(report.outcomes[online], 'released', 'the offline device reported to a later run of the batch');
    assert.equal(report.outcomes[terminated], 'failed:ReleaseTerminated', 'the terminated release was swept');
    assert.deepEqual(duplicates, [], 'exactly one Unisolate action per machine');
    assert.equal(throttled, 0, 'no 429 from Defender');
    assert.ok(perMachine <= 3, `${perMachine} API calls per released machine`);
    // The last run's history: it waited on the first run's releases and found one terminated.
    recordHistory(h.env.address, h.client.workflow.getHandle(batch.handle.workflowId), 'bulk-swept-terminated-release');
  });
});
