/** Large batches with one offline device, for the end-to-end bulk suites. */
import assert from 'node:assert/strict';
import { setTimeout } from 'node:timers/promises';
import { progressQuery } from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import type { ReleaseHarness } from './release-harness.js';

/** Checks `reached` every 250 ms; fails with `stalled()` once `timeoutMs` have passed without it. */
export async function waitUntil(reached: () => boolean | Promise<boolean>, timeoutMs: number, stalled: () => string) {
  for (const giveUpAt = Date.now() + timeoutMs; !(await reached()); await setTimeout(250)) {
    assert.ok(Date.now() < giveUpAt, stalled());
  }
}

/**
 * A pre-approved batch of `ids` whose first `offlineCount` machines are offline (their actions stay Pending until
 * bringOnline). `offline` is the first of them.
 */
export async function startBatchWithOfflineDevice(
  h: ReleaseHarness,
  ids: string[],
  workflowId: string,
  offlineCount = 1,
) {
  const offlineIds = ids.slice(0, offlineCount);
  const offline = offlineIds[0]!;
  for (const id of offlineIds) h.sim.setBehavior(id, { stuckPending: true });
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
  const releaseOf = (id: string) => h.sim.machineActions(id).find((a) => a.type === 'Unisolate');
  const offlineRelease = () => releaseOf(offline);
  return { offline, offlineIds, handle, posts, offlineRelease, releaseOf };
}

/** A 520-machine batch with an offline device, once it has continued as new with that device's release open. */
export async function batchInSecondRun(h: ReleaseHarness, workflowId: string) {
  const ids = Array.from({ length: 520 }, () => h.sim.addMachine({ isolated: true }).id);
  const batch = await startBatchWithOfflineDevice(h, ids, workflowId);
  await waitUntil(
    () => batch.posts() >= 505 && batch.offlineRelease() !== undefined,
    240_000,
    () => `the batch stalled at ${batch.posts()} releases`,
  );
  assert.ok((await batch.handle.query(progressQuery)).run >= 2, 'the batch continued as new');
  return { ids, ...batch };
}
