/**
 * A batch across continue-as-new (500 children per run) with one device offline, cancelled once it waits on nothing but
 * the release its first run left open: that release is cancelled with the batch. Defender's limits are off here (the
 * scale suite keeps them on, and sweeps a terminated release): what is tested is the cancel across runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { progressQuery } from '../../contract/index.js';
import { batchInSecondRun, waitUntil } from '../helpers/bulk-batches.js';
import { recordHistory } from '../helpers/histories.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';

describe('bulkRelease cancelled across continue-as-new (520 machines, one offline)', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('bulk-can');
  });
  after(async () => {
    await h?.stop();
  });

  it('cancelling a batch that waits only on releases its earlier runs left open cancels them and ends cancelled', async () => {
    const { ids, offline, handle, offlineRelease } = await batchInSecondRun(h, `bulk-cancel-${h.taskQueue}`);
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
