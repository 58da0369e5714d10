/**
 * `npm run bench:latency [-- --releases 100 --budget-releases 20 --hour-scale 60 --hour-minutes 60]`: approval → POST
 * latency, and what a burst costs Defender's windows. Phases, one run, one dev server:
 * 1. `releases` waiting releases approved at once, the API queue unthrottled (the engine's own cost; one worker);
 * 2. `budget-releases` approved at once under Defender's real limits (100/min, 1500/h, enforced by the simulator in
 *    real time), two worker processes serving the tenant, the API queue's steady rate alone (`burst: false`);
 * 3. the same with the tenant's call ledger (the default);
 * 4. an hour of load with the ledger, time-compressed `hour-scale` times: every simulated minute, `budget-releases`
 *    pre-approved releases start at once, for `hour-minutes` minutes; the most calls Defender received in any
 *    sliding minute and hour, and its 429s.
 * Latency is from the update's answer (phases 1–3; from the start, phase 4) to the Unisolate POST reaching the
 * simulator (its request log). A benchmark, not a test: nothing is asserted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { approveRelease, getReleaseStatus, startRelease } from '../client/release-client.js';
import { DefenderSimulator, type RequestLogEntry } from '../simulator/index.js';
import type { RateBudget } from '../worker/worker.js';
import { startBenchServer } from './setup.js';

const { values } = parseArgs({
  options: {
    releases: { type: 'string', default: '100' },
    'budget-releases': { type: 'string', default: '20' },
    'hour-scale': { type: 'string', default: '60' },
    'hour-minutes': { type: 'string', default: '60' },
  },
});
const WORKER = fileURLToPath(new URL('./budget-worker.ts', import.meta.url));
const DEFENDER = { perMinute: 100, perHour: 1500 };

const server = await startBenchServer();
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

/** `count` worker processes on one task queue, each with the plugin's workflow and API workers. */
async function startWorkers(count: number, simulator: DefenderSimulator, taskQueue: string, budget: RateBudget) {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const child = fork(WORKER, [server.address, simulator.url, taskQueue, JSON.stringify(budget)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`worker process exited with ${code}`)));
    });
    children.push(child);
  }
  return async () => {
    await Promise.all(
      children.map((c) => new Promise<void>((resolve) => (c.once('exit', () => resolve()), c.send('stop')))),
    );
  };
}

/** Phases 1–3: `releases` wait for approval, are approved at once, and each is timed to its POST. */
async function approvedAtOnce(options: {
  name: string;
  releases: number;
  workers: number;
  budget: RateBudget;
  limits: boolean;
}): Promise<string> {
  const simulator = await new DefenderSimulator({
    rateLimits: options.limits ? DEFENDER : false,
    actionVisibilityDelayMs: 0,
  }).start();
  const taskQueue = `latency-${options.name.replace(/\W+/g, '-')}-${Date.now()}`;
  const stop = await startWorkers(options.workers, simulator, taskQueue, options.budget);
  try {
    const ids = Array.from({ length: options.releases }, () => simulator.addMachine({ isolated: true }).id);
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
      while ((await getReleaseStatus(client, s.workflowId)).state !== 'awaiting-approval') await sleep(100);
    }
    const approvedAt = new Map<string, number>();
    await Promise.all(
      ids.map(async (id, i) => {
        await approveRelease(client, started[i]!.workflowId, { approver: 'bob@contoso.com' });
        approvedAt.set(id, Date.now());
      }),
    );
    await Promise.all(started.map((s) => s.handle.result()));
    const latencies = ids.map((id) => Date.parse(postOf(simulator, id)!.at) - approvedAt.get(id)!);
    return `  ${options.name.padEnd(58)} ${summary(latencies)}, ${throttled(simulator)} x 429`;
  } finally {
    await stop();
    await simulator.stop();
  }
}

/** Phase 4: rounds of releases, one a simulated minute, with the ledger; the windows as Defender counted them. */
async function hourOfLoad(options: { perRound: number; minutes: number; scale: number }): Promise<string> {
  const simulator = await new DefenderSimulator({
    rateLimits: DEFENDER,
    timeScale: options.scale,
    actionVisibilityDelayMs: 0,
  }).start();
  const taskQueue = `latency-hour-${Date.now()}`;
  const stop = await startWorkers(2, simulator, taskQueue, { ...DEFENDER, timeScale: options.scale });
  try {
    const startedAt = new Map<string, number>();
    const handles = [];
    for (let minute = 0; minute < options.minutes; minute++) {
      const round = Date.now();
      for (let i = 0; i < options.perRound; i++) {
        const machineId = simulator.addMachine({ isolated: true }).id;
        startedAt.set(machineId, Date.now());
        const request = {
          machineId,
          comment: 'bench',
          requestedBy: 'playbook:bench',
          approval: { preApprovedBy: 'alice@contoso.com', reason: 'bench' },
          pollInterval: '1s',
          deadline: '24h',
        };
        handles.push(
          (await startRelease(client, request, { taskQueue, workflowId: `${taskQueue}-${machineId}` })).handle,
        );
      }
      await sleep(Math.max(0, 60_000 / options.scale - (Date.now() - round)));
    }
    await Promise.all(handles.map((h) => h.result()));
    const ids = [...startedAt.keys()];
    const first = ids
      .slice(0, options.perRound)
      .map((id) => Date.parse(postOf(simulator, id)!.at) - startedAt.get(id)!);
    const api = simulator.requests.filter((r) => r.endpoint !== 'token');
    const arrivals = api.map((r) => Date.parse(r.at));
    const minuteMs = 60_000 / options.scale;
    const hours = (Math.max(...arrivals) - Math.min(...arrivals)) / (minuteMs * 60);
    return (
      `  ${`${ids.length} releases, ${options.perRound} a minute for ${options.minutes} min, ledger`.padEnd(58)} ` +
      `${api.length} calls over ${hours.toFixed(2)} h; busiest minute ${busiest(arrivals, minuteMs)} (limit 100), ` +
      `busiest hour ${busiest(arrivals, minuteMs * 60)} (limit 1500), ${throttled(simulator)} x 429; ` +
      `first round start → POST ${summary(first.map((ms) => ms * options.scale))} (simulated)`
    );
  } finally {
    await stop();
    await simulator.stop();
  }
}

const postOf = (simulator: DefenderSimulator, id: string): RequestLogEntry | undefined =>
  simulator.requests.find((r) => r.endpoint === 'unisolateMachine' && r.machineId === id && r.status < 300);
const throttled = (simulator: DefenderSimulator) => simulator.requests.filter((r) => r.status === 429).length;

function summary(latenciesMs: number[]): string {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return `p50 ${s(percentile(sorted, 0.5))}, p90 ${s(percentile(sorted, 0.9))}, p99 ${s(percentile(sorted, 0.99))}`;
}

/** The most arrivals within any window of `windowMs`. */
function busiest(arrivals: number[], windowMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

try {
  const n = Number(values.releases);
  const m = Number(values['budget-releases']);
  const unthrottled = { perMinute: 60_000, perHour: 3_600_000 };
  const rows = [
    await approvedAtOnce({
      name: `${n} at once, unthrottled`,
      releases: n,
      workers: 1,
      budget: unthrottled,
      limits: false,
    }),
    await approvedAtOnce({
      name: `${m} at once, Defender's limits, 2 processes, steady rate`,
      releases: m,
      workers: 2,
      budget: { ...DEFENDER, burst: false },
      limits: true,
    }),
    await approvedAtOnce({
      name: `${m} at once, Defender's limits, 2 processes, call ledger`,
      releases: m,
      workers: 2,
      budget: DEFENDER,
      limits: true,
    }),
    await hourOfLoad({ perRound: m, minutes: Number(values['hour-minutes']), scale: Number(values['hour-scale']) }),
  ];
  console.log(
    `\nApproval → POST latency and Defender's windows (${new Date().toISOString()}, node ${process.version})`,
  );
  for (const row of rows) console.log(row);
} finally {
  await server.stop();
}
process.exit(0);
