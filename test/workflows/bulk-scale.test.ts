/**
 * A 1000-machine batch against a simulator that enforces Defender's 100/min and 1500/h per app+tenant, time-compressed
 * 60x (a simulated minute lasts a second): zero duplicate actions, zero 429s, at most 3 API calls per released machine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BulkReport } from '../../workflows/bulk-definitions.js';
import type { bulkRelease } from '../../workflows/bulk-release.js';
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

  it('releases every machine once, within the budget', async () => {
    const ids = Array.from({ length: MACHINES }, () => h.sim.addMachine({ isolated: true }).id);
    h.sim.clearRequests();
    const started = Date.now();
    const report: BulkReport = await h.client.workflow.execute<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-scale-${h.taskQueue}`,
      args: [
        {
          machineIds: ids,
          comment: 'Outbreak contained',
          requestedBy: 'soc-automation',
          approval: { preApprovedBy: 'incident-commander@contoso.com', reason: 'IR-2026-11' },
          concurrency: 200,
          pollInterval: '1s',
          deadline: '10m',
        },
      ],
    });
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
    assert.deepEqual(duplicates, [], 'exactly one Unisolate action per machine');
    assert.equal(throttled, 0, 'no 429 from Defender');
    assert.ok(perMachine <= 3, `${perMachine} API calls per released machine`);
  });
});
