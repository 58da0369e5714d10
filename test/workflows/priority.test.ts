/**
 * The priority keys the API activities are scheduled with (contract/priority.ts), read from the histories: a single
 * release's calls before the watcher's reads, before a batch's calls and its children's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { TASK_PRIORITY, releaseWorkflowId, watcherWorkflowId } from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import { startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

/** Each API activity the run scheduled, as `<activity type> <priority key>` (activities on other queues left out). */
async function scheduled(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a != null && a.taskQueue?.name?.includes('-api'))
    .map((a) => `${a!.activityType?.name} ${a!.priority?.priorityKey ?? 'unset'}`);
}

describe('priority keys of the Defender calls', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('priority');
  });
  after(async () => {
    await h?.stop();
  });

  it("a single release's checks, POST and cancel are 1; the watcher's reads are 2", async () => {
    const machine = h.fake.addMachine();
    // An isolation still in flight: the release cancels it before posting.
    h.fake.addAction(machine.id, 'Isolate', { status: 'Pending' });
    const handle = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'bob@contoso.com', reason: 'CAB-7' },
    });
    await handle.result();
    const single = await scheduled(handle);
    assert.ok(single.includes(`cancelMachineAction ${TASK_PRIORITY.singleRelease}`), single.join(', '));
    assert.ok(single.includes(`postUnisolate ${TASK_PRIORITY.singleRelease}`), single.join(', '));
    assert.deepEqual(new Set(single.map((s) => s.split(' ')[1])), new Set([String(TASK_PRIORITY.singleRelease)]));
    const watcher = await scheduled(h.env.client.workflow.getHandle(watcherWorkflowId(h.taskQueue)));
    assert.ok(watcher.length > 0);
    assert.deepEqual(new Set(watcher), new Set([`checkWatchedActions ${TASK_PRIORITY.confirmation}`]));
  });

  it("a batch's reads, its children and their POSTs are 4", async () => {
    const ids = [h.fake.addMachine().id, h.fake.addMachine().id];
    const handle = await h.env.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-${h.taskQueue}`,
      args: [
        {
          machineIds: ids,
          comment: 'Outbreak contained',
          requestedBy: 'alice@contoso.com',
          approval: { preApprovedBy: 'bob@contoso.com', reason: 'CAB-8' },
        },
      ],
    });
    await handle.result();
    const batch = await scheduled(handle);
    assert.deepEqual(
      new Set(batch),
      new Set([`lookupMachines ${TASK_PRIORITY.batch}`, `isolationStates ${TASK_PRIORITY.batch}`]),
    );
    const childHandle = h.env.client.workflow.getHandle(releaseWorkflowId(ids[0]!));
    assert.deepEqual(await scheduled(childHandle), [`postUnisolate ${TASK_PRIORITY.batch}`]);
    // Started at the batch's key, so that its workflow tasks wait behind a single release's too.
    const started = (await childHandle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(started?.priority?.priorityKey, TASK_PRIORITY.batch);
  });
});
