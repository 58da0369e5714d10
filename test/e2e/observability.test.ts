/**
 * What operators see: the Prometheus endpoint of the worker runtime serves the SDK's metrics and ours after releases,
 * and the JSON log lines carry the workflow id and Defender's correlation ids.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveRelease, startRelease } from '../../client/release-client.js';
import type { DefenderSimulator } from '../../simulator/index.js';
import { freePort } from '../../dev/dev-server.js';
import { credentialsFor, failureOf, startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { installTestRuntime } from '../helpers/temporal.js';

/** `name{labels} value` lines of a Prometheus text exposition whose name and labels match. */
function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}

describe('metrics and logs', () => {
  let h: ReleaseHarness;
  let env: TestWorkflowEnvironment;
  let sim: DefenderSimulator;
  let taskQueue: string;
  let metricsUrl: string;
  let logFile: string;

  before(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    // Before anything else touches the runtime: it is installed once per process.
    logFile = installTestRuntime({ metricsBindAddress: `127.0.0.1:${port}` });
    // A client built from credentials, as the worker builds it: its answered requests are counted.
    h = await startReleaseHarness('observability', {}, undefined, (simulator) => ({
      defender: undefined,
      tenants: {
        default: { credentials: credentialsFor(simulator), rateBudget: { perMinute: 6000, perHour: 360_000 } },
      },
    }));
    ({ env, sim, taskQueue } = h);
  });
  after(async () => {
    await h?.stop();
  });

  it('the metrics endpoint serves release outcomes, Defender calls by endpoint and status, 429s and approval waits', async () => {
    const request = { comment: 'clean', requestedBy: 'alice@contoso.com', pollInterval: '1s', deadline: '2m' };
    const approved = sim.addMachine({ isolated: true });
    const { handle, workflowId } = await startRelease(
      env.client,
      { ...request, machineId: approved.id },
      { taskQueue, workflowId: `metrics-approved-${taskQueue}` },
    );
    for (let i = 0; ; i++) {
      try {
        await approveRelease(env.client, workflowId, { approver: 'bob@contoso.com' });
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.equal((await handle.result()).outcome, 'released');

    // One throttled answer (then the retry succeeds), and one machine that does not exist.
    const throttled = sim.addMachine({ isolated: true });
    sim.addFault({
      match: { endpoint: 'listMachineActions', machineId: throttled.id },
      times: 1,
      fault: { kind: 'status', status: 429, retryAfter: 1 },
    });
    const second = await startRelease(
      env.client,
      { ...request, machineId: throttled.id, approval: { preApprovedBy: 'bob@contoso.com', reason: 'CHG-1' } },
      { taskQueue, workflowId: `metrics-throttled-${taskQueue}` },
    );
    assert.equal((await second.handle.result()).outcome, 'released');
    const missing = await startRelease(
      env.client,
      { ...request, machineId: 'f'.repeat(40) },
      { taskQueue, workflowId: `metrics-missing-${taskQueue}` },
    );
    assert.equal((await failureOf(missing.handle)).type, 'MachineNotFound');

    // The exporter reads the runtime's meters on scrape; workflow metrics arrive through the worker's sink.
    let text = '';
    for (let i = 0; i < 50; i++) {
      text = await (await fetch(metricsUrl)).text();
      if (samples(text, 'defender_isolation_releases_total', { outcome: 'machine-not-found' }).length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    assert.equal(sum(samples(text, 'defender_isolation_releases_total', { outcome: 'released' })), 2);
    assert.equal(sum(samples(text, 'defender_isolation_releases_total', { outcome: 'machine-not-found' })), 1);
    assert.equal(
      sum(
        samples(text, 'defender_isolation_defender_calls_total', {
          endpoint: 'unisolateMachine',
          status: '201',
          tenant: 'default',
        }),
      ),
      2,
    );
    assert.ok(sum(samples(text, 'defender_isolation_defender_calls_total', { status: '404' })) >= 1);
    assert.equal(
      sum(samples(text, 'defender_isolation_defender_throttled_total', { endpoint: 'listMachineActions' })),
      1,
    );
    assert.equal(
      sum(samples(text, 'defender_isolation_approval_wait_count', { decision: 'approved' })),
      1,
      'one approval wait recorded',
    );
    // The SDK's own worker metrics share the endpoint.
    assert.ok(samples(text, 'temporal_workflow_completed_total').length > 0);
  });

  it('logs are JSON lines with the workflow id and Defender correlation ids', async () => {
    const read = () =>
      readFileSync(logFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    // Log entries reach the runtime's logger asynchronously: wait until the failed release's lines are written.
    let lines = read();
    for (
      let i = 0;
      i < 100 && !lines.some((l) => l.workflowId === `metrics-missing-${taskQueue}` && l.status === 404);
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      lines = read();
    }
    const accepted = lines.find(
      (l) => l.message === 'Defender accepted the release' && l.workflowId === `metrics-approved-${taskQueue}`,
    );
    assert.ok(accepted, 'the POST is logged with its workflow id');
    assert.match(String(accepted.machineActionId), /^[0-9a-f-]{36}$/);
    assert.match(String(accepted.correlationTag), new RegExp(`^\\[defender-isolation metrics-approved-${taskQueue} `));
    assert.equal(accepted.activityType, 'postUnisolate');
    assert.match(String(accepted.time), /^\d{4}-\d\d-\d\dT/);

    const refused = lines.find(
      (l) => l.level === 'WARN' && l.workflowId === `metrics-missing-${taskQueue}` && l.status === 404,
    );
    assert.ok(refused, 'a Defender error is logged with its workflow id');
    assert.match(String(refused.correlationId), /^[0-9a-f-]{36}$/, "Defender's error.target is the correlation id");
    const workflowLine = lines.find(
      (l) => l.workflowId === `metrics-missing-${taskQueue}` && l.workflowType === 'releaseMachine',
    );
    assert.ok(workflowLine, 'workflow logs carry the workflow id and type');
  });
});
