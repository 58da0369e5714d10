/**
 * One Defender budget for a tenant served by two worker processes: every call of either reserves with the tenant's
 * call ledger, so the simulator (enforcing a small budget, 10x time) never answers 429, each of its sliding windows
 * holds no more calls than the limit, and both processes made calls. The ledger's arithmetic is in
 * test/unit/call-windows.test.ts; its figures (bursts, the hour) in docs/performance.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiTaskQueue, rateBudgetWorkflowId, reserveCallsUpdate } from '../../contract/index.js';
import { DefenderIsolationPlugin } from '../../worker/plugin.js';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { clientFor } from '../helpers/simulator.js';

const TIME_SCALE = 10;
const LIMITS = { perMinute: 20, perHour: 1500 };
const RELEASES = 16;

describe('one budget across two worker processes (20 calls a minute, 10x time)', () => {
  let h: ReleaseHarness;
  let second: Worker[];
  let secondRuns: Promise<void>[];
  let secondConnection: NativeConnection | undefined;
  const callsBy = { first: 0, second: 0 };
  before(async () => {
    const budget = { ...LIMITS, timeScale: TIME_SCALE };
    h = await startReleaseHarness(
      'rate-budget',
      { timeScale: TIME_SCALE, rateLimits: LIMITS, defaultBehavior: { pendingMs: 1_000, inProgressMs: 1_000 } },
      budget,
      (sim) => ({ defender: clientFor(sim, { onResponse: () => callsBy.first++ }) }),
    );
    // The second process: its own plugin, so its own gate to the ledger, serving the same API task queue.
    const plugin = new DefenderIsolationPlugin({
      tenants: { default: { client: clientFor(h.sim, { onResponse: () => callsBy.second++ }), rateBudget: budget } },
    });
    secondConnection = await NativeConnection.connect({ address: h.env.address });
    second = await plugin.createApiWorkers({
      connection: secondConnection,
      namespace: h.env.namespace,
      taskQueue: h.taskQueue,
    });
    secondRuns = second.map((w) => w.run());
  });
  after(async () => {
    for (const w of second ?? []) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(secondRuns ?? []);
    await secondConnection?.close();
    await h?.stop();
  });

  it('no 429, no window over the limit, none lost or duplicated, and both processes called Defender', async () => {
    const ids = Array.from({ length: RELEASES }, () => h.sim.addMachine({ isolated: true }).id);
    h.sim.clearRequests();
    const handles = await Promise.all(
      ids.map(async (machineId) => {
        const approval = { preApprovedBy: 'incident-commander@contoso.com', reason: 'IR-budget' };
        return (await h.start({ machineId, approval, requestedBy: 'playbook:budget', deadline: '30m' })).handle;
      }),
    );
    const outcomes = await Promise.all(handles.map((handle) => handle.result().then((r) => r.outcome)));
    assert.deepEqual(new Set(outcomes), new Set(['released']));

    const api = h.sim.requests.filter((r) => r.endpoint !== 'token');
    assert.equal(api.filter((r) => r.status === 429).length, 0, 'no 429 from Defender');
    const busiest = busiestMinute(api.map((r) => Date.parse(r.at)));
    assert.ok(busiest <= LIMITS.perMinute, `at most ${LIMITS.perMinute} calls in any minute, not ${busiest}`);
    for (const id of ids) assert.equal(h.unisolatePosts(id), 1, `one Unisolate for ${id}`);
    assert.ok(callsBy.first > 0 && callsBy.second > 0, `both processes called: ${JSON.stringify(callsBy)}`);

    const ledger = h.client.workflow.getHandle(rateBudgetWorkflowId(apiTaskQueue(h.taskQueue)));
    const described = await ledger.describe();
    assert.equal(described.status.name, 'RUNNING', 'one ledger for the tenant, on the workflow task queue');
    assert.equal(described.taskQueue, h.taskQueue);
    // Anyone with client access can send a reservation: a malformed one is refused, and leaves no event.
    const events = (await ledger.fetchHistory()).events!.length;
    const malformed = { calls: 1, priority: 1, windows: { ...LIMITS, timeScale: 0, headroom: 1 } };
    await assert.rejects(ledger.executeUpdate(reserveCallsUpdate, { args: [malformed] }), (err: Error) =>
      /windows\.timeScale/.test(String(err.cause)),
    );
    assert.equal((await ledger.fetchHistory()).events!.length, events);
  });
});

/** The most calls that arrived within any one (time-compressed) minute. */
function busiestMinute(arrivals: number[]): number {
  const minuteMs = 60_000 / TIME_SCALE;
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= minuteMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}
