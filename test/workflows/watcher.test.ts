/** The tenant's machine-action watcher on the time-skipping server with Defender mocked. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { watcherWorkflowId } from '../../contract/index.js';
import { recordHistory } from '../helpers/histories.js';
import { startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

describe('machineActionWatcher', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('watcher');
  });
  after(async () => {
    await h?.stop();
  });

  it('one list call per tick serves every waiting release; each is told once; an hour idle ends it', async () => {
    const machine = h.fake.addMachine();
    const theirs = h.fake.addAction(machine.id, 'Unisolate', { looks: 3 });
    // Two releases of the machine (a playbook and a person) both follow the release already in flight.
    const first = await h.start({ machineId: machine.id });
    const second = await h.start({ machineId: machine.id, pollInterval: '10s' });
    await h.reach(first, 'confirming');
    await h.reach(second, 'confirming');
    for (const release of [first, second]) assert.equal((await release.result()).machineActionId, theirs.id);
    assert.equal(h.fake.count('checkWatchedActions'), 3, 'one look per tick for both, at the shorter interval');

    const watcher = h.env.client.workflow.getHandle(watcherWorkflowId(h.taskQueue));
    await watcher.result();
    assert.equal((await watcher.describe()).status.name, 'COMPLETED');
    recordHistory(h.env.address, watcher, 'machine-action-watcher');
  });
});
