/**
 * The CLI against the run's dev server, as people and playbooks use it: where it connects (global options over the
 * environment), what it says when it cannot, what a `release` that joins a running one says, `list` for runs that did
 * not end on their own, and `cancel` recording who and why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { EXIT } from '../../client/cli.js';
import { startRelease } from '../../client/release-client.js';
import { progressQuery } from '../../contract/index.js';
import type { bulkRelease } from '../../workflows/bulk/bulk-release.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { testServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { cli } from '../helpers/cli-capture.js';

const MACHINE = 'c'.repeat(40);

/** A machine id of its own for each test, so that `list --machine` finds that test's runs only. */
const someMachine = () => Array.from({ length: 40 }, () => Math.floor(Math.random() * 16).toString(16)).join('');

/** The environment points nowhere useful: only the options given on the command line can reach the server. */
function withMisleadingEnvironment(): void {
  const names = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE'] as const;
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  before(() => {
    process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';
    process.env.TEMPORAL_NAMESPACE = 'no-such-namespace';
    process.env.TEMPORAL_TASK_QUEUE = 'nobody-polls-this';
  });
  after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

describe('CLI: where it connects', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let connection: Connection;
  let client: Client;
  withMisleadingEnvironment();
  before(async () => {
    server = await testServer();
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: server.namespace });
  });
  after(async () => {
    await connection?.close();
  });

  it('nothing listening: the error names the address and namespace (exit 1, stderr)', async () => {
    const failed = await cli('status', MACHINE, '--json');
    assert.equal(failed.code, EXIT.error);
    assert.equal(failed.out, '');
    const { error } = JSON.parse(failed.err) as { error: { type: string; message: string } };
    assert.equal(error.type, 'ConnectionFailed');
    assert.match(error.message, /^cannot connect to Temporal at 127\.0\.0\.1:1 \(namespace no-such-namespace\): \S/);
  });

  it('a namespace the server does not have: the error names it and the address', async () => {
    const failed = await cli('status', MACHINE, '--address', server.address);
    assert.equal(failed.code, EXIT.error);
    assert.equal(failed.err, `NamespaceNotFound: namespace no-such-namespace not found at ${server.address}`);
    const listed = await cli('list', '--address', server.address, '--namespace', 'missing-too', '--json');
    assert.equal(JSON.parse(listed.err).error.type, 'NamespaceNotFound');
    assert.match(listed.err, /namespace missing-too not found/);
  });

  it('--address, --namespace and --task-queue win over the environment', async () => {
    const taskQueue = uniqueTaskQueue('cli-flags');
    const started = await cli(
      'release',
      MACHINE,
      '--comment',
      'Clean after re-imaging',
      '--requested-by',
      'alice@contoso.com',
      '--workflow-id',
      `release-flags-${taskQueue}`,
      '--address',
      server.address,
      '--namespace',
      server.namespace,
      '--task-queue',
      taskQueue,
      '--json',
    );
    // No worker polls that queue, and the CLI looked there, at that address and in that namespace: nothing started.
    assert.equal(started.code, EXIT.error, started.err);
    const error = (JSON.parse(started.err) as { error: { type: string; message: string } }).error;
    assert.equal(error.type, 'NoWorker');
    assert.match(error.message, new RegExp(`task queue "${taskQueue}" in namespace "${server.namespace}"`));
    const listed = await client.workflow.count(`WorkflowId = "release-flags-${taskQueue}"`);
    assert.equal(listed.count, 0);
  });
});

describe('CLI: list', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let connection: Connection;
  let client: Client;
  before(async () => {
    server = await testServer();
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: server.namespace });
  });
  after(async () => {
    await connection?.close();
  });

  /** Lists until visibility (eventually consistent) shows what `done` waits for. */
  async function listUntil(args: string[], done: (rows: { workflowId: string; state: string }[]) => boolean) {
    let rows: { workflowId: string; state: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const listed = await cli('list', ...args, '--address', server.address, '--json');
      assert.equal(listed.code, EXIT.ok, listed.err);
      rows = JSON.parse(listed.out) as typeof rows;
      if (done(rows)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return rows;
  }

  it("a run that did not end on its own shows Temporal's status, not its last ReleaseState", async () => {
    const machineId = someMachine();
    // No worker polls this queue: the run stays `validating` (as its starter set it) until it is terminated.
    const { handle } = await startRelease(
      client,
      { machineId, comment: 'Clean after re-imaging', requestedBy: 'alice@contoso.com' },
      { taskQueue: uniqueTaskQueue('cli-list'), workflowId: `release-list-${machineId}`, waitForWorkerMs: 0 },
    );
    await handle.terminate('stuck');
    const rows = await listUntil(['--machine', machineId], (r) => r[0]?.state !== 'validating');
    assert.deepEqual(
      rows.map((r) => [r.workflowId, r.state]),
      [[handle.workflowId, 'terminated']],
    );
    const human = await cli('list', '--machine', machineId, '--address', server.address);
    assert.match(human.out.split('\n')[1]!, new RegExp(`^${handle.workflowId}\\s+terminated\\s`));
    const validating = await cli('list', '--state', 'validating', '--address', server.address, '--json');
    assert.ok(
      !(JSON.parse(validating.out) as { workflowId: string }[]).some((r) => r.workflowId === handle.workflowId),
      '--state validating lists running releases only',
    );
  });
});

describe('CLI: a release that joins a running one', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('cli-join');
  });
  after(async () => {
    await h?.stop();
  });

  const release = (machineId: string, workflowId: string, ...more: string[]) =>
    cli(
      'release',
      machineId,
      '--comment',
      'Another reason',
      '--requested-by',
      'bob@contoso.com',
      '--incident',
      'INC-99',
      '--workflow-id',
      workflowId,
      '--address',
      h.env.address,
      '--task-queue',
      h.taskQueue,
      ...more,
    );

  it("says whose release it joined, and that this request's requester and comment were not applied", async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { workflowId } = await h.start({ machineId: machine.id, incidentId: 'INC-42' });
    await h.waitForState(workflowId, 'awaiting-approval');

    const human = await release(machine.id, workflowId);
    assert.equal(human.code, EXIT.ok, human.err);
    assert.equal(
      human.out,
      `Joined the running release ${workflowId}, requested by alice@contoso.com for incident INC-42 ` +
        '(state awaiting-approval); not applied from this request: requestedBy, comment, incidentId',
    );

    const json = await release(machine.id, workflowId, '--approver', 'carol@contoso.com', '--json');
    assert.equal(json.code, EXIT.ok, json.err);
    assert.deepEqual(JSON.parse(json.out), {
      workflowId,
      joined: true,
      running: { requestedBy: 'alice@contoso.com', incidentId: 'INC-42', state: 'awaiting-approval' },
      notApplied: ['requestedBy', 'comment', 'incidentId', 'approval'],
    });
    const status = await h.waitForState(workflowId, 'awaiting-approval');
    assert.equal(status.requestedBy, 'alice@contoso.com', 'the running release is as it was');
    assert.equal(status.approval.approvers, null);
    await h.env.client.workflow.getHandle(workflowId).terminate('test over');
  });
});

describe('CLI: cancel records who and why', () => {
  let h: ReleaseHarness;
  before(async () => {
    h = await startReleaseHarness('cli-cancel');
  });
  after(async () => {
    await h?.stop();
  });

  const at = (...args: string[]) => cli(...args, '--address', h.env.address);

  it('cancel --by --reason: in history (the update as accepted), in status, and the release ends cancelled', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { workflowId, handle } = await h.start({
      machineId: machine.id,
      approval: { approvers: ['bob@contoso.com'] },
    });
    await h.waitForState(workflowId, 'awaiting-approval');

    const cancelled = await at(
      'cancel',
      workflowId,
      '--by',
      'carol@contoso.com',
      '--reason',
      'wrong machine',
      '--json',
    );
    assert.equal(cancelled.code, EXIT.ok, cancelled.err);
    const answer = JSON.parse(cancelled.out) as { workflowId: string; cancellation: { by: string; reason: string } };
    assert.equal(answer.workflowId, workflowId);
    assert.deepEqual([answer.cancellation.by, answer.cancellation.reason], ['carol@contoso.com', 'wrong machine']);
    await assert.rejects(handle.result());
    const status = await h.waitForState(workflowId, 'cancelled');
    assert.equal(status.cancellation?.by, 'carol@contoso.com');
    assert.equal(h.unisolatePosts(machine.id), 0);

    const human = await at('status', workflowId);
    assert.match(human.out, /: cancelled$/m);
    assert.match(human.out, /^ {2}cancelled {5}by carol@contoso\.com at \S+: wrong machine$/m);
    assert.doesNotMatch(human.out, /awaiting/, 'no approval is awaited any more');

    const { events } = await handle.fetchHistory();
    const accepted = (events ?? []).flatMap((e) => e.workflowExecutionUpdateAcceptedEventAttributes ?? []);
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]!.acceptedRequest?.input?.name, 'cancelRelease');
    const [input] = await Promise.all(
      (accepted[0]!.acceptedRequest?.input?.args?.payloads ?? []).map((p) =>
        h.env.client.options.loadedDataConverter.payloadConverter.fromPayload(p),
      ),
    );
    assert.deepEqual(input, { by: 'carol@contoso.com', reason: 'wrong machine' });
  });

  it('a batch: cancelled through Temporal, who and why in its cancel request', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const batch = await h.client.workflow.start<typeof bulkRelease>('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId: `bulk-cli-cancel-${h.taskQueue}`,
      args: [{ machineIds: [machine.id], comment: 'Outbreak contained', requestedBy: 'alice@contoso.com' }],
    });
    for (let i = 0; i < 300; i++) {
      const progress = await batch.query(progressQuery).catch(() => undefined);
      if (progress?.state === 'awaiting-approval') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cancelled = await at('cancel', batch.workflowId, '--by', 'carol@contoso.com', '--reason', 'wrong scope');
    assert.equal(cancelled.code, EXIT.ok, cancelled.err);
    assert.equal(cancelled.out, `Cancelling batch ${batch.workflowId} (by carol@contoso.com: wrong scope)`);
    await assert.rejects(batch.result());
    const { events } = await batch.fetchHistory();
    const requests = (events ?? []).flatMap((e) => e.workflowExecutionCancelRequestedEventAttributes ?? []);
    assert.deepEqual(
      requests.map((r) => r.cause),
      ['cancelled by carol@contoso.com: wrong scope'],
    );
    assert.equal((await batch.describe()).status.name, 'CANCELLED');
  });

  it('needs --by and --reason; a refusal (an ended release) exits 4 naming why', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    assert.equal((await at('cancel', machine.id, '--reason', 'r')).code, EXIT.usage);
    assert.match(
      (await at('cancel', machine.id, '--by', 'carol@contoso.com')).err,
      /cancel needs --by <who> and --reason <text>/,
    );
    const { workflowId, handle } = await h.start({
      machineId: machine.id,
      approval: { preApprovedBy: 'bob@contoso.com', reason: 'CHG-1' },
    });
    await handle.result();
    const refused = await at('cancel', workflowId, '--by', 'carol@contoso.com', '--reason', 'too late', '--json');
    assert.equal(refused.code, EXIT.refused, refused.err);
    assert.match(JSON.parse(refused.err).error.message, /has already ended/);
  });
});
