/** The worker registers the search attributes it needs in a namespace that lacks them. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { NativeConnection } from '@temporalio/worker';
import { resolveTemporalCli } from '../../dev/temporal-cli.js';
import { ensureSearchAttributes } from '../../worker/search-attributes.js';
import { installTestRuntime, testServer } from '../helpers/temporal.js';

describe('ensureSearchAttributes', () => {
  let connection: NativeConnection;
  const namespace = `sa-${Math.random().toString(36).slice(2, 8)}`;
  before(async () => {
    installTestRuntime();
    const { address } = await testServer();
    // A namespace of its own, registered the way an operator would (the CLI), without our search attributes.
    const created = spawnSync(
      resolveTemporalCli().path,
      ['operator', 'namespace', 'create', '--namespace', namespace, '--address', address],
      { encoding: 'utf8' },
    );
    assert.equal(created.status, 0, created.stderr);
    connection = await NativeConnection.connect({ address });
  });
  after(async () => {
    await connection?.close();
  });

  it('registers the missing ones once, then finds them', async () => {
    let registered: string[] = [];
    // A just-registered namespace takes a moment to be usable.
    for (let i = 0; i < 50; i++) {
      try {
        registered = await ensureSearchAttributes(connection, namespace);
        break;
      } catch (err) {
        if (i === 49) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    assert.deepEqual(registered.sort(), ['DefenderMachineId', 'IncidentId', 'ReleaseState']);
    assert.deepEqual(await ensureSearchAttributes(connection, namespace), []);
  });
});
