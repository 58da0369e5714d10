/** The worker registers the search attributes it needs in a namespace that lacks them. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time.js';
import { NativeConnection } from '@temporalio/worker';
import { ensureSearchAttributes } from '../../worker/search-attributes.js';
import { installTestRuntime } from '../helpers/temporal.js';

describe('ensureSearchAttributes', () => {
  let connection: NativeConnection;
  const namespace = `sa-${Math.random().toString(36).slice(2, 8)}`;
  before(async () => {
    installTestRuntime();
    connection = await NativeConnection.connect({ address: process.env.TEMPORAL_TEST_ADDRESS! });
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
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
