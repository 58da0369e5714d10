/**
 * The tenant watcher's list call against answers shaped as Defender gives them, served from loopback: when a watched
 * release counts as final, and which Isolate of the same machine it must report.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefenderClient } from '../../activities/defender/client.js';
import { createWatchCalls, type WatchedPage } from '../../activities/watch-calls.js';

const machineId = 'b'.repeat(40);
const ours = '11111111-1111-1111-1111-111111111111';
const theirs = '22222222-2222-2222-2222-222222222222';

function action(id: string, type: string, status: string, created: string, updated: string) {
  return {
    id,
    type,
    status,
    machineId,
    computerDnsName: 'pc.contoso.com',
    requestor: 'someone',
    requestorComment: 'c',
    creationDateTimeUtc: created,
    lastUpdateDateTimeUtc: updated,
  };
}

describe('the watcher reads a watched release as final only when nothing can undo it', () => {
  let server: Server;
  let answer: unknown[] = [];
  let watch: ReturnType<typeof createWatchCalls>;
  before(async () => {
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: answer })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const defender = new DefenderClient({
      apiUrl: `http://127.0.0.1:${port}`,
      tokens: { getToken: async () => 't' },
      userAgent: 't',
    });
    watch = createWatchCalls({ defender });
  });
  after(() => server.close());

  const check = (): Promise<WatchedPage> =>
    new MockActivityEnvironment().run(watch.checkWatchedActions, {
      since: '2026-12-02T05:00:00Z',
      watched: [{ actionId: ours, machineId, createdAt: '2026-12-02T05:00:00Z' }],
      skip: 0,
    });

  it('an Isolate created before our Unisolate ended and still in flight holds the outcome back (MS docs #5903)', async () => {
    answer = [
      action(ours, 'Unisolate', 'Succeeded', '2026-12-02T05:00:01.1000000Z', '2026-12-02T05:00:30.5000000Z'),
      action(theirs, 'Isolate', 'InProgress', '2026-12-02T05:00:20.0000000Z', '2026-12-02T05:00:31.0000000Z'),
    ];
    assert.deepEqual((await check()).finals, [], 'not final while the Isolate can still land');
  });

  it('once that Isolate succeeds after our release, the outcome names it: the machine is isolated again', async () => {
    answer = [
      action(ours, 'Unisolate', 'Succeeded', '2026-12-02T05:00:01.1000000Z', '2026-12-02T05:00:30.5000000Z'),
      action(theirs, 'Isolate', 'Succeeded', '2026-12-02T05:00:20.0000000Z', '2026-12-02T05:00:33.0000000Z'),
    ];
    const [final] = (await check()).finals;
    assert.equal(final?.action.id, ours);
    assert.equal(final?.laterIsolate?.id, theirs);
  });

  it('an Isolate created after our Unisolate ended does not hold it back', async () => {
    answer = [
      action(ours, 'Unisolate', 'Succeeded', '2026-12-02T05:00:01.1000000Z', '2026-12-02T05:00:30.5000000Z'),
      action(theirs, 'Isolate', 'Pending', '2026-12-02T05:00:30.5000001Z', '2026-12-02T05:00:30.5000001Z'),
    ];
    const [final] = (await check()).finals;
    assert.equal(final?.action.id, ours);
    assert.equal(final?.laterIsolate, null);
  });

  it('a failed Unisolate is final at once, whatever else is in flight', async () => {
    answer = [
      action(ours, 'Unisolate', 'Failed', '2026-12-02T05:00:01.1000000Z', '2026-12-02T05:00:30.5000000Z'),
      action(theirs, 'Isolate', 'InProgress', '2026-12-02T05:00:20.0000000Z', '2026-12-02T05:00:31.0000000Z'),
    ];
    assert.equal((await check()).finals[0]?.action.status, 'Failed');
  });
});
