/**
 * The example incident playbook (examples/incident-playbook) in a worker of its own, with the release workflows added
 * by the plugin: the playbook runs releaseMachine as a child workflow and reacts to how it ends.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { approveRelease, getReleaseStatus, rejectRelease } from 'defender-isolation';
import { ReleaseFailureType } from 'defender-isolation/workflows';
import { DefenderIsolationPlugin } from 'defender-isolation/worker';
import {
  incidentPlaybook,
  incidentResolvedSignal,
  REACTIONS,
  type IncidentPlaybookInput,
} from '../../examples/incident-playbook/workflows.js';
import type { DefenderSimulator } from '../../simulator/index.js';
import { clientFor, startSimulator } from '../helpers/simulator.js';
import { connectTestEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

const PLAYBOOK_WORKFLOWS = fileURLToPath(new URL('../../examples/incident-playbook/workflows.ts', import.meta.url));

describe('incident playbook with releaseMachine as a child workflow', () => {
  let env: TestWorkflowEnvironment;
  let sim: DefenderSimulator;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('playbook');

  before(async () => {
    env = await connectTestEnvironment();
    sim = await startSimulator({ rateLimits: false });
    // The SOC's own worker: its workflowsPath and activities, plus the plugin.
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      workflowsPath: PLAYBOOK_WORKFLOWS,
      activities: {
        async notifySoc(): Promise<void> {},
      },
      plugins: [
        new DefenderIsolationPlugin({
          tenants: { default: { client: clientFor(sim), rateBudget: { perMinute: 6000, perHour: 360_000 } } },
        }),
      ],
    });
    running = worker.run();
  });
  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await sim?.stop();
    await env?.teardown();
  });

  async function runPlaybook(input: Omit<IncidentPlaybookInput, 'analyst'>) {
    const handle = await env.client.workflow.start(incidentPlaybook, {
      taskQueue,
      workflowId: `playbook-${input.incidentId}-${taskQueue}`,
      args: [{ analyst: 'alice@contoso.com', pollInterval: '1s', ...input }],
    });
    await handle.signal(incidentResolvedSignal, { resolvedBy: 'alice@contoso.com', note: 'reimaged' });
    return handle;
  }

  async function waitForApproval(machineId: string) {
    for (let i = 0; i < 300; i++) {
      try {
        const status = await getReleaseStatus(env.client, machineId);
        if (status.state === 'awaiting-approval') return status;
      } catch {
        // the child is not started yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`release of ${machineId} never awaited approval`);
  }

  it('resolved incident → child release → approved by a second person → machine-released', async () => {
    const machine = sim.addMachine({ isolated: true });
    const handle = await runPlaybook({ incidentId: 'INC-1', machineId: machine.id });
    const status = await waitForApproval(machine.id);
    assert.equal(status.incidentId, 'INC-1');
    const child = await env.client.workflow.getHandle(status.workflowId).describe();
    assert.equal(child.type, 'releaseMachine');
    assert.equal(child.parentExecution?.workflowId, handle.workflowId, 'the release is a child of the playbook');
    await approveRelease(env.client, machine.id, { approver: 'bob@contoso.com' });
    const report = await handle.result();
    assert.equal(report.outcome, 'machine-released');
    assert.equal(report.release?.approvedBy, 'bob@contoso.com');
    assert.equal(sim.machineActions(machine.id).filter((a) => a.type === 'Unisolate').length, 1);
  });

  it('rejected → kept-isolated-rejected, nothing sent', async () => {
    const machine = sim.addMachine({ isolated: true });
    const handle = await runPlaybook({ incidentId: 'INC-2', machineId: machine.id });
    await waitForApproval(machine.id);
    await rejectRelease(env.client, machine.id, { approver: 'bob@contoso.com', reason: 'still beaconing' });
    const report = await handle.result();
    assert.deepEqual([report.outcome, report.failureType], ['kept-isolated-rejected', 'ReleaseRejected']);
    assert.equal(sim.machineActions(machine.id).filter((a) => a.type === 'Unisolate').length, 0);
  });

  it('unknown machine → closed-machine-gone', async () => {
    const report = await (await runPlaybook({ incidentId: 'INC-3', machineId: 'e'.repeat(40) })).result();
    assert.deepEqual([report.outcome, report.failureType], ['closed-machine-gone', 'MachineNotFound']);
  });

  it('the release action fails at Defender → retry-release-later', async () => {
    const machine = sim.addMachine({ isolated: true, behavior: { unisolateOutcome: 'Failed' } });
    const handle = await runPlaybook({ incidentId: 'INC-4', machineId: machine.id });
    await waitForApproval(machine.id);
    await approveRelease(env.client, machine.id, { approver: 'bob@contoso.com' });
    const report = await handle.result();
    assert.deepEqual([report.outcome, report.failureType], ['retry-release-later', 'MachineActionFailed']);
  });

  it('an input the release refuses → fix-playbook-input, nothing reaches Defender', async () => {
    const before = sim.requests.length;
    const report = await (await runPlaybook({ incidentId: 'INC-5', machineId: 'not-a-machine-id' })).result();
    assert.deepEqual([report.outcome, report.failureType], ['fix-playbook-input', 'InvalidInput']);
    assert.equal(sim.requests.length, before);
  });

  it('has a reaction for every failure type of the release contract', () => {
    assert.deepEqual(Object.keys(REACTIONS).sort(), Object.values(ReleaseFailureType).sort());
  });
});
