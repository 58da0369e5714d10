/**
 * `npm run bench:latency [-- --releases 100 --budget-releases 20]`: approval → POST latency. N releases wait for approval at once; all are
 * approved together; for each, the time from its approval (the update's answer) to the Unisolate POST reaching Defender
 * (the simulator's request log). Prints p50, p90, p99 and max, with Defender's real budget (100/min, 1500/h) and without
 * it, in one run. A benchmark, not a test: nothing is asserted.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { approveRelease, getReleaseStatus, startRelease } from '../client/release-client.js';
import { DefenderSimulator } from '../simulator/index.js';
import { createReleaseWorkers, type RateBudget } from '../worker/worker.js';
import { simulatorClient, startBenchServer } from './setup.js';

const { values } = parseArgs({
  options: { releases: { type: 'string', default: '100' }, 'budget-releases': { type: 'string', default: '20' } },
});

const server = await startBenchServer();

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

async function measure(name: string, releases: number, budget: RateBudget): Promise<string> {
  const simulator = await new DefenderSimulator({ rateLimits: false, actionVisibilityDelayMs: 0 }).start();
  const taskQueue = `latency-${name.replace(/\W+/g, '-')}`;
  const connection = await NativeConnection.connect({ address: server.address });
  const clientConnection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection: clientConnection });
    const workers = await createReleaseWorkers({
      connection,
      taskQueue,
      rateBudget: budget,
      defender: simulatorClient(simulator),
    });
    return await workers.runUntil(
      (async () => {
        const ids = Array.from({ length: releases }, () => simulator.addMachine({ isolated: true }).id);
        const started = await Promise.all(
          ids.map((machineId) =>
            startRelease(
              client,
              { machineId, comment: 'bench', requestedBy: 'alice@contoso.com', pollInterval: '1s' },
              { taskQueue, workflowId: `${taskQueue}-${machineId}` },
            ),
          ),
        );
        for (const s of started) {
          while ((await getReleaseStatus(client, s.workflowId)).state !== 'awaiting-approval') {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        const approvedAt = new Map<string, number>();
        await Promise.all(
          ids.map(async (id, i) => {
            await approveRelease(client, started[i]!.workflowId, { approver: 'bob@contoso.com' });
            approvedAt.set(id, Date.now());
          }),
        );
        await Promise.all(started.map((s) => s.handle.result()));
        const latencies = ids
          .map((id) => {
            const post = simulator.requests.find((r) => r.endpoint === 'unisolateMachine' && r.machineId === id)!;
            return Date.parse(post.at) - approvedAt.get(id)!;
          })
          .sort((a, b) => a - b);
        return (
          `  ${name.padEnd(40)} p50 ${percentile(latencies, 0.5)} ms, p90 ${percentile(latencies, 0.9)} ms, ` +
          `p99 ${percentile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms`
        );
      })(),
    );
  } finally {
    await clientConnection.close();
    await connection.close();
    await simulator.stop();
  }
}

try {
  const n = Number(values.releases);
  const m = Number(values['budget-releases']);
  const unlimited = await measure(`${n} at once, API queue unthrottled`, n, { perMinute: 60_000, perHour: 3_600_000 });
  // Each approved release re-reads its machine and posts: 2 calls at 0.40/s, so the last of m waits ~5 s x m.
  const real = await measure(`${m} at once, Defender's budget (0.40 calls/s)`, m, { perMinute: 100, perHour: 1500 });
  console.log(`\nApproval → POST latency, releases approved at once (${new Date().toISOString()})`);
  console.log(unlimited);
  console.log(real);
} finally {
  await server.stop();
}
process.exit(0);
