/**
 * Optional OpenTelemetry tracing through the SDK's interceptors: one trace from the client's start through the
 * workflow to the Defender activities on the tenant's API worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { startRelease } from '../../client/release-client.js';
import { createTracingPlugin } from '../../worker/tracing.js';
import { failureOf, startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';

const exporter = new InMemorySpanExporter();
const tracing = await createTracingPlugin({ spanProcessor: new SimpleSpanProcessor(exporter) });

describe('OpenTelemetry tracing', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('tracing', {}, undefined, { tracing });
  });
  after(async () => {
    await h?.stop();
  });

  async function spansOf(traceId: string, wanted: string[]): Promise<ReadableSpan[]> {
    for (let i = 0; i < 100; i++) {
      const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      if (wanted.every((name) => spans.some((s) => s.name === name))) return spans;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const names = exporter
      .getFinishedSpans()
      .filter((s) => s.spanContext().traceId === traceId)
      .map((s) => s.name);
    assert.fail(`missing spans; the trace has: ${names.join(', ')}`);
  }

  it('client start → workflow → Defender activities on the API worker, in one trace', async () => {
    const client = new Client({ connection: h.env.connection, namespace: h.env.namespace, plugins: [tracing] });
    const machine = h.sim.addMachine({ isolated: true });
    const { handle } = await startRelease(
      client,
      {
        machineId: machine.id,
        comment: 'clean',
        requestedBy: 'alice@contoso.com',
        approval: { preApprovedBy: 'bob@contoso.com', reason: 'CHG-1' },
        pollInterval: '1s',
      },
      { taskQueue: h.taskQueue, workflowId: `traced-${h.taskQueue}` },
    );
    assert.equal((await handle.result()).outcome, 'released');
    const start = exporter.getFinishedSpans().find((s) => s.name === 'StartWorkflow:releaseMachine');
    assert.ok(
      start,
      `the client start is traced: ${exporter
        .getFinishedSpans()
        .map((s) => s.name)
        .join(', ')}`,
    );
    const spans = await spansOf(start.spanContext().traceId, [
      'RunWorkflow:releaseMachine',
      'StartActivity:listIsolationActions',
      'RunActivity:listIsolationActions',
      'RunActivity:postUnisolate',
    ]);
    const post = spans.find((s) => s.name === 'RunActivity:postUnisolate')!;
    assert.equal(post.resource.attributes['service.name'], 'defender-isolation');
  });

  it('a failed release records the failure on its workflow span', async () => {
    const client = new Client({ connection: h.env.connection, namespace: h.env.namespace, plugins: [tracing] });
    const { handle } = await startRelease(
      client,
      { machineId: 'd'.repeat(40), comment: 'clean', requestedBy: 'alice@contoso.com' },
      { taskQueue: h.taskQueue, workflowId: `traced-missing-${h.taskQueue}` },
    );
    assert.equal((await failureOf(handle)).type, 'MachineNotFound');
    // This test's start is the latest one.
    const start = exporter
      .getFinishedSpans()
      .filter((s) => s.name === 'StartWorkflow:releaseMachine')
      .at(-1);
    assert.ok(start);
    const spans = await spansOf(start.spanContext().traceId, ['RunWorkflow:releaseMachine']);
    const run = spans.find((s) => s.name === 'RunWorkflow:releaseMachine')!;
    assert.equal(run.status.code, 2, 'the workflow span has status ERROR');
  });
});
