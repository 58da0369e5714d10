/**
 * Load: 500 concurrent single releases (not a batch: each started on its own, as 500 playbooks would) against a
 * simulator enforcing Defender's 100/min and 1500/h per app+tenant, time-compressed 60x. None lost, none duplicated,
 * zero 429s: the shared budget of the tenant's API task queue holds for independent releases too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { startRelease } from '../../client/release-client.js';
import { startRateLimitedHarness, type ReleaseHarness } from '../helpers/release-harness.js';

const RELEASES = Number(process.env.LOAD_RELEASES ?? 500);
const TIME_SCALE = 60;

describe(`${RELEASES} concurrent single releases (Defender limits on, ${TIME_SCALE}x time)`, () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startRateLimitedHarness('release-load', TIME_SCALE);
  });
  after(async () => {
    await h?.stop();
  });

  it('none lost, none duplicated, zero 429s', async () => {
    const ids = Array.from({ length: RELEASES }, () => h.sim.addMachine({ isolated: true }).id);
    h.sim.clearRequests();
    const started = Date.now();
    const handles = await Promise.all(
      ids.map(async (machineId) => {
        const { handle } = await startRelease(
          h.client,
          {
            machineId,
            comment: 'Released after clean-up',
            requestedBy: 'playbook:load',
            approval: { preApprovedBy: 'incident-commander@contoso.com', reason: 'IR-load' },
            pollInterval: '1s',
            deadline: '30m',
          },
          { taskQueue: h.taskQueue, workflowId: `load-${machineId}-${h.taskQueue}` },
        );
        return handle;
      }),
    );
    const outcomes = await Promise.all(
      handles.map((handle) =>
        handle.result().then(
          (r) => r.outcome as string,
          (err: unknown) => (err instanceof WorkflowFailedError ? `failed: ${err.cause?.message}` : String(err)),
        ),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    const api = h.sim.requests.filter((r) => r.endpoint !== 'token');
    const throttled = api.filter((r) => r.status === 429).length;
    const duplicates = ids.filter((id) => h.sim.machineActions(id).filter((a) => a.type === 'Unisolate').length > 1);
    const released = outcomes.filter((o) => o === 'released').length;
    console.log(
      `release-load: ${RELEASES} concurrent releases in ${seconds.toFixed(1)} s (= ${((seconds * TIME_SCALE) / 60).toFixed(1)} simulated min), ` +
        `${released} released, ${api.length} API calls (${(api.length / RELEASES).toFixed(2)} per release), ` +
        `${throttled} x 429, ${duplicates.length} duplicates`,
    );
    assert.equal(
      released,
      RELEASES,
      `not released: ${outcomes
        .filter((o) => o !== 'released')
        .slice(0, 3)
        .join('; ')}`,
    );
    assert.deepEqual(duplicates, [], 'no duplicate release action');
    assert.equal(throttled, 0, 'no 429 from Defender');
  });
});
