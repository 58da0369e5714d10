/**
 * `npm run bench:urgent [-- --machines 1000 --concurrency 300 --singles 10 --every 30 --time-scale 5]`: how long a
 * single release waits while a big batch keeps the tenant's Defender budget busy. A bulk release of `machines` keeps
 * the API queue backlogged; once its first POST is in, `singles` releases are started one every `every` simulated
 * seconds as a playbook starts them (pre-approved: the analyst approved in the playbook), and each is timed from its
 * start to its Unisolate POST reaching the simulator (its request log). Three phases in one run, on one dev server,
 * each with a fresh task queue and simulator: the same workflows with their priority keys removed by a bench-only
 * interceptor and the API queue's steady rate alone (`burst: false`, as before issue 18); priority keys on the steady
 * rate; and priority keys with the tenant's call ledger (the default). Defender's real limits (100/min, 1500/h) are enforced by the simulator, time
 * compressed `time-scale` times; figures are in simulated seconds. A benchmark, not a test: nothing is asserted.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startRelease } from '../client/release-client.js';
import { apiTaskQueue } from '../contract/index.js';
import { DefenderSimulator } from '../simulator/index.js';
import type { bulkRelease } from '../workflows/bulk/bulk-release.js';
import { createReleaseWorkers } from '../worker/worker.js';
import { TEN_MINUTE_ACTIONS } from './our-bulk.js';
import { simulatorClient, startBenchServer } from './setup.js';

const { values } = parseArgs({
  options: {
    machines: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '300' },
    singles: { type: 'string', default: '10' },
    every: { type: 'string', default: '30' },
    'time-scale': { type: 'string', default: '5' },
    'give-up': { type: 'string', default: '1800' },
  },
});
const MACHINES = Number(values.machines);
const CONCURRENCY = Number(values.concurrency);
const SINGLES = Number(values.singles);
const EVERY_S = Number(values.every);
const TIME_SCALE = Number(values['time-scale']);
/** Simulated seconds after which a single release not yet posted is reported as "> give-up". */
const GIVE_UP_S = Number(values['give-up']);
const NO_PRIORITY = fileURLToPath(new URL('./workflows/no-priority.ts', import.meta.url));

interface PhaseResult {
  name: string;
  /** Simulated seconds from start to POST; null: not posted within GIVE_UP_S. */
  latencies: (number | null)[];
  /** The most activities waiting on the API queue as a single release started (the server's approximate count). */
  backlog: number | null;
  /** The priority keys the first single release's activities were scheduled with: proof of what the phase ran. */
  keys: string;
  batchPosts: number;
  throttled: number;
  wallSeconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const simulated = (wallMs: number) => (wallMs * TIME_SCALE) / 1000;

const server = await startBenchServer();

/** One phase: a fresh simulator and task queue, the batch, the single releases, then everything on the queue ended. */
async function phase(options: { name: string; withoutPriority: boolean; burst: boolean }): Promise<PhaseResult> {
  const began = Date.now();
  const simulator = await new DefenderSimulator({
    timeScale: TIME_SCALE,
    rateLimits: { perMinute: 100, perHour: 1500 },
    actionVisibilityDelayMs: 1_000,
    defaultBehavior: TEN_MINUTE_ACTIONS,
  }).start();
  const taskQueue = `urgent-${options.withoutPriority ? 'today' : 'priority'}-${options.burst ? 'ledger' : 'steady'}-${Date.now()}`;
  const connection = await NativeConnection.connect({ address: server.address });
  const clientConnection = await Connection.connect({ address: server.address });
  const client = new Client({ connection: clientConnection });
  try {
    const workers = await createReleaseWorkers({
      connection,
      taskQueue,
      rateBudget: { perMinute: 100, perHour: 1500, timeScale: TIME_SCALE, burst: options.burst },
      defender: simulatorClient(simulator),
      ...(options.withoutPriority ? { interceptors: { workflowModules: [NO_PRIORITY] } } : {}),
    });
    const measured = await workers.runUntil(
      (async () => {
        const batch = await startBatch({ client, simulator, taskQueue });
        try {
          const singles = await singleReleases({ client, simulator, taskQueue });
          return {
            ...singles,
            keys: await priorityKeys({ client, workflowId: `${taskQueue}-single-${singles.ids[0]}` }),
          };
        } finally {
          await endEverything({ client, taskQueue, batch });
        }
      })(),
    );
    const api = simulator.requests.filter((r) => r.endpoint !== 'token');
    const singles = new Set(measured.ids);
    return {
      name: options.name,
      latencies: measured.latencies,
      backlog: measured.backlog,
      keys: measured.keys,
      batchPosts: api.filter((r) => r.endpoint === 'unisolateMachine' && !singles.has(r.machineId ?? '')).length,
      throttled: api.filter((r) => r.status === 429).length,
      wallSeconds: (Date.now() - began) / 1000,
    };
  } finally {
    await clientConnection.close();
    await connection.close();
    await simulator.stop();
  }
}

/** The batch, pre-approved; returns once its first POST reached Defender (its window then fills the API queue). */
async function startBatch(args: {
  client: Client;
  simulator: DefenderSimulator;
  taskQueue: string;
}): Promise<WorkflowHandle<typeof bulkRelease>> {
  const { client, simulator, taskQueue } = args;
  const ids = Array.from({ length: MACHINES }, () => simulator.addMachine({ isolated: true }).id);
  const batch = await client.workflow.start<typeof bulkRelease>('bulkRelease', {
    taskQueue,
    workflowId: `${taskQueue}-batch`,
    args: [
      {
        machineIds: ids,
        comment: 'benchmark batch',
        requestedBy: 'bench',
        approval: { preApprovedBy: 'bench-approver', reason: 'benchmark' },
        concurrency: CONCURRENCY,
        pollInterval: `${Math.max(1, Math.round(30 / TIME_SCALE))}s`,
        deadline: '1h',
      },
    ],
  });
  while (!simulator.requests.some((r) => r.endpoint === 'unisolateMachine')) await sleep(200);
  return batch;
}

/** The single releases, one every EVERY_S simulated seconds, each timed from its start to its POST. */
async function singleReleases(args: { client: Client; simulator: DefenderSimulator; taskQueue: string }) {
  const { client, simulator, taskQueue } = args;
  const ids = Array.from({ length: SINGLES }, () => simulator.addMachine({ isolated: true }).id);
  const startedAt = new Map<string, number>();
  const backlogs: (number | null)[] = [];
  for (const [i, machineId] of ids.entries()) {
    if (i > 0) await sleep((EVERY_S * 1000) / TIME_SCALE);
    backlogs.push(await apiBacklog({ client, taskQueue }));
    startedAt.set(machineId, Date.now());
    await startRelease(
      client,
      {
        machineId,
        comment: 'incident closed: release',
        requestedBy: 'playbook:incident-42',
        // The playbook's own approval step: an analyst approved before the playbook started the release.
        approval: { preApprovedBy: 'alice@contoso.com', reason: 'approved in the incident playbook' },
        pollInterval: `${Math.max(1, Math.round(30 / TIME_SCALE))}s`,
        deadline: '1h',
      },
      { taskQueue, workflowId: `${taskQueue}-single-${machineId}` },
    );
  }
  const postOf = (id: string) =>
    simulator.requests.find((r) => r.endpoint === 'unisolateMachine' && r.machineId === id);
  const giveUpAt = startedAt.get(ids.at(-1)!)! + (GIVE_UP_S * 1000) / TIME_SCALE;
  while (Date.now() < giveUpAt && !ids.every(postOf)) await sleep(200);
  const latencies = ids.map((id) => {
    const post = postOf(id);
    return post ? simulated(Date.parse(post.at) - startedAt.get(id)!) : null;
  });
  const counted = backlogs.filter((b): b is number => b !== null);
  return { ids, latencies, backlog: counted.length > 0 ? Math.max(...counted) : null };
}

/** The priority keys of a run's scheduled activities, as its history has them ('unset' when none). */
async function priorityKeys(args: { client: Client; workflowId: string }): Promise<string> {
  const { events } = await args.client.workflow.getHandle(args.workflowId).fetchHistory();
  const keys = (events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a != null)
    .map((a) => String(a.priority?.priorityKey || 'unset'));
  return [...new Set(keys)].join(',');
}

/** Activities waiting on the tenant's API queue (the server's approximate count). */
async function apiBacklog(args: { client: Client; taskQueue: string }): Promise<number | null> {
  try {
    const answer = await args.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: apiTaskQueue(args.taskQueue, null) },
      taskQueueType: 2, // TASK_QUEUE_TYPE_ACTIVITY
      reportStats: true,
    });
    const byKey = Object.values(answer.statsByPriorityKey ?? {}).map((k) => Number(k.approximateBacklogCount ?? 0));
    return Math.max(
      Number(answer.stats?.approximateBacklogCount ?? 0),
      byKey.reduce((a, b) => a + b, 0),
    );
  } catch {
    return null;
  }
}

/** The batch terminated first (it would start more), then every release and the watcher left on the queue. */
async function endEverything(args: { client: Client; taskQueue: string; batch: WorkflowHandle }): Promise<void> {
  const { client, taskQueue, batch } = args;
  await batch.terminate('benchmark phase over').catch(() => undefined);
  const running: string[] = [];
  for await (const w of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) {
    running.push(w.workflowId);
  }
  for (let i = 0; i < running.length; i += 50) {
    await Promise.all(
      running.slice(i, i + 50).map((id) =>
        client.workflow
          .getHandle(id)
          .terminate('benchmark phase over')
          .catch(() => undefined),
      ),
    );
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

function row(r: PhaseResult): string {
  const posted = r.latencies.filter((l): l is number => l !== null).sort((a, b) => a - b);
  const missing = r.latencies.length - posted.length;
  // A release not posted within the give-up time counts as longer than any that was.
  const all = [...posted, ...Array<number>(missing).fill(Infinity)];
  const fmt = (s: number) => (s === Infinity ? `> ${GIVE_UP_S} s` : `${s.toFixed(1)} s`);
  return (
    `  ${r.name.padEnd(26)} p50 ${fmt(percentile(all, 0.5))}, p90 ${fmt(percentile(all, 0.9))}, ` +
    `p99 ${fmt(percentile(all, 0.99))}, max ${fmt(all.at(-1)!)}; keys ${r.keys}; ` +
    `API backlog up to ${r.backlog ?? '?'}, batch POSTs ${r.batchPosts}, 429s ${r.throttled}, ` +
    `wall ${r.wallSeconds.toFixed(0)} s\n    each, in start order: ${r.latencies.map((l) => (l === null ? '-' : l.toFixed(1))).join(' ')}`
  );
}

try {
  const today = await phase({ name: 'no keys, steady rate', withoutPriority: true, burst: false });
  const priority = await phase({ name: 'keys, steady rate', withoutPriority: false, burst: false });
  const ledger = await phase({ name: 'keys and the call ledger', withoutPriority: false, burst: true });
  console.log(
    `\nUrgent release while a batch keeps the budget busy (${new Date().toISOString()}, node ${process.version}): ` +
      `${SINGLES} single releases, one every ${EVERY_S} s, start → POST in simulated seconds at ${TIME_SCALE}x; ` +
      `batch of ${MACHINES}, concurrency ${CONCURRENCY}; Defender's 100/min + 1500/h enforced`,
  );
  console.log(row(today));
  console.log(row(priority));
  console.log(row(ledger));
} finally {
  await server.stop();
}
process.exit(0);
