/**
 * releaseMachine end to end on the real dev server against the simulator, as the Temporal UI and visibility see it.
 * Every branch of the workflow is tested in test/workflows (time-skipping, Defender mocked).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { approveRelease, getReleaseStatus } from '../../client/release-client.js';
import type { ReleaseResult } from '../../contract/index.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';

async function updateEvents(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes,
  ).length;
}

describe('releaseMachine', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('release');
  });
  after(async () => {
    await h?.stop();
  });

  it('approve → one Unisolate → confirmed released, visible in search attributes, memo and history', async () => {
    const machine = h.sim.addMachine({ isolated: true, computerDnsName: 'finance-07.contoso.com' });
    const { handle, workflowId, joined } = await h.start({ machineId: machine.id.toUpperCase(), incidentId: 'INC-42' });
    assert.equal(joined, false);
    const waiting = await h.waitForState(workflowId, 'awaiting-approval');
    assert.equal(waiting.computerDnsName, 'finance-07.contoso.com');
    assert.equal(waiting.machineId, machine.id);
    assert.ok(waiting.approval.expiresAt);
    assert.equal(h.unisolatePosts(machine.id), 0, 'nothing sent before approval');

    const approved = await approveRelease(h.client, workflowId, {
      approver: 'bob@contoso.com',
      comment: 'verified clean',
    });
    assert.equal(approved.approval.decision?.by, 'bob@contoso.com');
    const result: ReleaseResult = await handle.result();
    assert.equal(result.outcome, 'released');
    assert.equal(result.requestedBy, 'alice@contoso.com');
    assert.equal(result.approvedBy, 'bob@contoso.com');
    assert.ok(result.machineActionId);
    assert.equal(h.unisolatePosts(machine.id), 1);
    assert.equal(h.sim.isIsolated(machine.id), false);

    const action = h.sim.machineActions(machine.id).find((a) => a.id === result.machineActionId)!;
    assert.equal(action.status, 'Succeeded');
    // The workflow id (and run) appended for correlation.
    const runPrefix = (await handle.describe()).runId.slice(0, 8);
    assert.equal(action.requestorComment, `Clean after re-imaging [defender-isolation ${workflowId} ${runPrefix}]`);

    const status = await getReleaseStatus(h.client, workflowId);
    assert.equal(status.state, 'released');
    assert.equal(status.machineAction?.how, 'posted');
    assert.equal(status.machineAction?.status, 'Succeeded');

    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get({ name: 'DefenderMachineId', type: 'KEYWORD' }), machine.id);
    assert.equal(description.typedSearchAttributes.get({ name: 'ReleaseState', type: 'KEYWORD' }), 'released');
    assert.equal(description.typedSearchAttributes.get({ name: 'IncidentId', type: 'KEYWORD' }), 'INC-42');
    assert.equal(description.memo?.requestedBy, 'alice@contoso.com');
    assert.equal(description.memo?.comment, 'Clean after re-imaging');
    assert.match(
      (await description.staticSummary()) ?? '',
      /Release 1e5b|Release [0-9a-f]{8}… from isolation for incident INC-42/,
    );
    assert.equal(await updateEvents(handle), 2, 'the approval is in history (accepted + completed)');

    // The UI's filter: visibility is eventually consistent, so poll briefly.
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      const query = `DefenderMachineId = '${machine.id}' AND ReleaseState = 'released' AND IncidentId = 'INC-42'`;
      for await (const w of h.client.workflow.list({ query })) found.push(w.workflowId);
      if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(found, [workflowId]);
  });

  it('pre-approved: no update needed, the decision is recorded', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'change-board', reason: 'CHG-1234' },
    });
    const result = await handle.result();
    assert.equal(result.outcome, 'released');
    assert.equal(result.approvedBy, 'change-board');
    const status = await getReleaseStatus(h.client, workflowId);
    assert.deepEqual(
      [status.approval.mode, status.approval.decision?.source, status.approval.decision?.comment],
      ['pre-approved', 'pre-approved', 'CHG-1234'],
    );
    // Its isolation history proves the machine exists, so it is not read, and the release stays within 26 events
    // however many polls its action took (the polls are the watcher's).
    assert.equal(h.sim.requests.filter((r) => r.endpoint === 'getMachine' && r.machineId === machine.id).length, 0);
    const events = (await handle.fetchHistory()).events!;
    assert.ok(events.length <= 26, `${events.length} events`);
    // The deadline timer is left running once the watcher is heard: the run closes right after, and a cancellation
    // would be one more event.
    assert.equal(events.filter((e) => e.timerStartedEventAttributes).length, 1);
    assert.equal(events.filter((e) => e.timerCanceledEventAttributes).length, 0);
  });
});
