/**
 * The CLI against the run's dev server, as people and playbooks use it: where it connects (global options over the
 * environment), what it says when it cannot, what a `release` that joins a running one says, `list` for runs that did
 * not end on their own, and `cancel` recording who and why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { EXIT, runCli } from '../../client/cli.js';
import { testServer, uniqueTaskQueue } from '../helpers/temporal.js';

const MACHINE = 'c'.repeat(40);

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function cli(...args: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

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
    assert.equal(started.code, EXIT.ok, started.err);
    const handle = client.workflow.getHandle(`release-flags-${taskQueue}`);
    assert.equal((await handle.describe()).taskQueue, taskQueue);
    // No worker polls that queue: the release is ended here, as nobody else would.
    await handle.terminate('test over');
  });
});
