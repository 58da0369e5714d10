/** Proves the harness end to end: the run's Temporal dev server, a worker, an activity and the simulator. */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createApiActivities } from '../../activities/index.js';
import type { DefenderSimulator } from '../../simulator/index.js';
import { SEARCH_ATTRIBUTES } from '../../contract/index.js';
import { connectTestEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';
import { clientFor, startSimulator } from '../helpers/simulator.js';
import { inspectMachineSmoke } from './fixtures/smoke-workflows.js';

describe('harness: real Temporal dev server + simulator', () => {
  let env: TestWorkflowEnvironment;
  let sim: DefenderSimulator;
  before(async () => {
    env = await connectTestEnvironment();
    sim = await startSimulator();
  });
  after(async () => {
    await sim?.stop();
    await env?.teardown();
  });

  it('the dev server has the project search attributes registered', async () => {
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({
      namespace: env.namespace ?? 'default',
    });
    for (const key of SEARCH_ATTRIBUTES)
      assert.ok(customAttributes?.[key.name] !== undefined, `${key.name} registered`);
  });

  it('runs a workflow whose activity calls the simulator over HTTP', async () => {
    const machine = sim.addMachine({ isolated: true, computerDnsName: 'smoke.contoso.com' });
    const taskQueue = uniqueTaskQueue('smoke');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./fixtures/smoke-workflows.ts', import.meta.url)),
      activities: createApiActivities({ defender: clientFor(sim) }),
    });
    // A worker runs once: both executions happen inside one runUntil.
    await worker.runUntil(async () => {
      const machineRead = await env.client.workflow.execute(inspectMachineSmoke, {
        taskQueue,
        workflowId: `smoke-${machine.id}`,
        args: [{ machineId: machine.id }],
      });
      assert.equal(machineRead.computerDnsName, 'smoke.contoso.com');
      assert.deepEqual(
        sim.requests.filter((r) => r.endpoint !== 'token').map((r) => `${r.endpoint}:${r.status}`),
        ['getMachine:200', 'listMachineActions:200'],
      );

      // A failure travels back as a typed, non-retryable ApplicationFailure.
      const missing = '0'.repeat(40);
      const err = await env.client.workflow
        .execute(inspectMachineSmoke, { taskQueue, workflowId: `smoke-${missing}`, args: [{ machineId: missing }] })
        .catch((e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ActivityFailure);
      assert.ok(err.cause.cause instanceof ApplicationFailure);
      assert.equal(err.cause.cause.type, 'DefenderNotFound');
      assert.equal(
        sim.requests.filter((r) => r.endpoint === 'getMachine' && r.status === 404).length,
        1,
        'not retried',
      );
    });
  });
});
