/**
 * Multi-tenant (MSSP): two Defender tenants in the simulator, each with its own app credentials, held by the worker.
 * Releases name their tenant; each tenant's calls go with its own credentials through its own rate-limited API queue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRelease } from '../../client/release-client.js';
import { scheduledBulkRequest, startBulkRelease } from '../../client/bulk-client.js';
import type { DefenderSimulator, SimApp } from '../../simulator/index.js';
import { apiTaskQueue, watcherWorkflowId } from '../../contract/index.js';
import { activitiesPerSecond, type ReleaseWorkers } from '../../worker/worker.js';
import { credentialsFor, failureOf, startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

const CONTOSO: SimApp = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  clientId: 'aaaaaaaa-1111-4111-8111-111111111111',
  clientSecret: 'contoso-secret-Tq8~xVb2',
  roles: ['Machine.Read.All', 'Machine.Isolate'],
};
const FABRIKAM: SimApp = {
  tenantId: '22222222-2222-4222-8222-222222222222',
  clientId: 'bbbbbbbb-2222-4222-8222-222222222222',
  clientSecret: 'fabrikam-secret-Zp3~kLw9',
  roles: ['Machine.Read.All', 'Machine.Isolate'],
};
const PRE_APPROVED = { preApprovedBy: 'bob@mssp.example', reason: 'CHG-7' };

describe('multi-tenant releases', () => {
  let h: ReleaseHarness;
  let env: TestWorkflowEnvironment;
  let sim: DefenderSimulator;
  let workers: ReleaseWorkers;
  let taskQueue: string;

  const start = (machineId: string, tenant: string | undefined, workflowId: string) =>
    startRelease(
      env.client,
      {
        machineId,
        comment: 'Clean after re-imaging',
        requestedBy: 'alice@mssp.example',
        approval: PRE_APPROVED,
        pollInterval: '1s',
        deadline: '2m',
        ...(tenant ? { tenant } : {}),
      },
      { taskQueue, workflowId: `${workflowId}-${taskQueue}` },
    );

  before(async () => {
    h = await startReleaseHarness('tenants', { apps: [CONTOSO, FABRIKAM] }, undefined, (simulator) => ({
      // No default tenant: every release must name one.
      defender: undefined,
      tenants: {
        contoso: {
          credentials: credentialsFor(simulator, CONTOSO),
          rateBudget: { perMinute: 6000, perHour: 360_000 },
        },
        fabrikam: {
          credentials: credentialsFor(simulator, FABRIKAM),
          rateBudget: { perMinute: 3000, perHour: 90_000 },
        },
      },
    }));
    ({ env, sim, workers, taskQueue } = h);
  });
  after(async () => {
    await h?.stop();
  });

  it("releases each tenant's machine with that tenant's credentials, through its own API queue and watcher", async () => {
    const a = sim.addMachine({ tenantId: CONTOSO.tenantId, isolated: true });
    const b = sim.addMachine({ tenantId: FABRIKAM.tenantId, isolated: true });
    const [ra, rb] = await Promise.all([start(a.id, 'contoso', 'ta'), start(b.id, 'fabrikam', 'tb')]);
    const [resultA, resultB] = await Promise.all([ra.handle.result(), rb.handle.result()]);
    assert.equal(resultA.outcome, 'released');
    assert.equal(resultB.outcome, 'released');

    const callsFor = (machineId: string) => sim.requests.filter((r) => r.machineId === machineId);
    assert.ok(callsFor(a.id).length > 0);
    assert.ok(callsFor(a.id).every((r) => r.tenantId === CONTOSO.tenantId && r.clientId === CONTOSO.clientId));
    assert.ok(callsFor(b.id).every((r) => r.tenantId === FABRIKAM.tenantId && r.clientId === FABRIKAM.clientId));
    assert.equal(sim.machineActions(a.id, CONTOSO.tenantId).filter((x) => x.type === 'Unisolate').length, 1);
    assert.equal(sim.machineActions(b.id, FABRIKAM.tenantId).filter((x) => x.type === 'Unisolate').length, 1);

    // One watcher per tenant, each calling with its own tenant's token.
    for (const tenant of ['contoso', 'fabrikam']) {
      const watcher = await env.client.workflow.getHandle(watcherWorkflowId(taskQueue, tenant)).describe();
      assert.equal(watcher.type, 'machineActionWatcher');
    }
    const status = await ra.handle.query('status');
    assert.equal((status as { tenant: string }).tenant, 'contoso');
    const description = await ra.handle.describe();
    assert.equal(description.memo?.tenant, 'contoso');
  });

  it("a machine of another tenant is not found with this tenant's credentials", async () => {
    const b = sim.addMachine({ tenantId: FABRIKAM.tenantId, isolated: true });
    const { handle } = await start(b.id, 'contoso', 'cross');
    const failure = await failureOf(handle);
    assert.equal(failure.type, 'MachineNotFound');
    assert.equal(sim.machineActions(b.id, FABRIKAM.tenantId).filter((x) => x.type === 'Unisolate').length, 0);
  });

  it('an unknown tenant, or none on a worker without a default tenant, is invalid input and reaches no Defender', async () => {
    const machine = sim.addMachine({ tenantId: CONTOSO.tenantId, isolated: true });
    const before = sim.requests.length;
    const unknown = await failureOf((await start(machine.id, 'northwind', 'unknown')).handle);
    assert.equal(unknown.type, 'InvalidInput');
    assert.match(
      unknown.message,
      /tenant "northwind" is not configured on this worker \(configured: contoso, fabrikam\)/,
    );
    const missing = await failureOf((await start(machine.id, undefined, 'missing')).handle);
    assert.equal(missing.type, 'InvalidInput');
    assert.match(missing.message, /tenant is required/);
    const bulk = await startBulkRelease(
      env.client,
      { machineIds: [machine.id], comment: 'batch', requestedBy: 'alice@mssp.example', tenant: 'northwind' },
      { taskQueue, workflowId: `bulk-unknown-${taskQueue}` },
    );
    await assert.rejects(bulk.result(), (err: Error) => /not configured on this worker/.test(String(err.cause)));
    assert.equal(sim.requests.length, before, 'no call reached the simulator');
  });

  it('a malformed tenant name is refused by the client before anything starts', async () => {
    await assert.rejects(start('a'.repeat(40), 'Contoso Ltd', 'malformed'), /tenant must be a tenant name/);
  });

  it("a scheduled bulk release of a tenant releases that tenant's machines", async () => {
    const tag = `tenant-weekly-${Date.now()}`;
    const machine = sim.addMachine({ tenantId: FABRIKAM.tenantId, isolated: true, machineTags: [tag] });
    const scheduleId = `tenant-schedule-${taskQueue}`;
    const request = scheduledBulkRequest({
      scheduleId,
      every: '7 days',
      selector: { machineTag: tag },
      comment: 'Weekly release',
      createdBy: 'carol@mssp.example',
      approval: { mode: 'pre-approved' },
      pollInterval: '1s',
      tenant: 'fabrikam',
    });
    assert.equal(request.tenant, 'fabrikam');
    const bulk = await startBulkRelease(env.client, request, { taskQueue, workflowId: `bulk-${scheduleId}` });
    const report = await bulk.result();
    assert.deepEqual(report.outcomes, { [machine.id]: 'released' });
    assert.ok(sim.requests.filter((r) => r.machineId === machine.id).every((r) => r.tenantId === FABRIKAM.tenantId));
  });

  it("each tenant gets its own API worker, rate-limited to that tenant's budget", async () => {
    const apiWorkers = await workers.plugin.createApiWorkers({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue: 'budget-check',
    });
    const byQueue = Object.fromEntries(
      apiWorkers.map((w) => [w.options.taskQueue, w.options.maxTaskQueueActivitiesPerSecond]),
    );
    // A worker that was created holds native resources until it has run; run each one to a clean stop.
    await Promise.all(apiWorkers.map((w) => w.runUntil(Promise.resolve())));
    assert.deepEqual(byQueue, {
      [apiTaskQueue('budget-check', 'contoso')]: activitiesPerSecond({ perMinute: 6000, perHour: 360_000 }),
      [apiTaskQueue('budget-check', 'fabrikam')]: activitiesPerSecond({ perMinute: 3000, perHour: 90_000 }),
    });
    assert.equal(apiTaskQueue('q', 'contoso'), 'q-api-contoso');
    assert.equal(apiTaskQueue('q', null), 'q-api', 'the default tenant keeps its queue name');
  });
});
