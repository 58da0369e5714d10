/**
 * `npm run bench:history [-- --polls 1,10,100]`: Temporal history events per release as the machine action takes
 * longer (about 1, 10 and 100 polls of 1 s), side by side in one run: releaseMachine (pre-approved, and approved
 * through the update) against a timer-loop workflow that sleeps and GETs the action once per poll. History events are
 * Temporal storage (and, on Temporal Cloud, billed actions). A benchmark, not a test: nothing is asserted. `--events`
 * prints each release's event types too.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { approveRelease, getReleaseStatus, startRelease } from '../client/release-client.js';
import { isTerminalStatus } from '../activities/defender/schemas.js';
import { DefenderSimulator } from '../simulator/index.js';
import { DefenderIsolationPlugin } from '../worker/plugin.js';
import { simulatorClient, startBenchServer } from './setup.js';
import type { BenchActivities } from './workflows/index.js';

const { values } = parseArgs({
  options: { polls: { type: 'string', default: '1,10,100' }, events: { type: 'boolean', default: false } },
});
const POLLS = values.polls.split(',').map(Number);
const POLL_MS = 1_000;
/** An event's type from the one attributes field it sets (no proto enum: @temporalio/proto is not a dependency). */
const typeOf = (event: object) =>
  Object.entries(event)
    .find(([key, value]) => key.endsWith('EventAttributes') && value)?.[0]
    .replace(/EventAttributes$/, '') ?? '?';

const server = await startBenchServer();
const simulator = await new DefenderSimulator({ rateLimits: false, actionVisibilityDelayMs: 0 }).start();
try {
  const defender = simulatorClient(simulator);
  const activities: BenchActivities = {
    async postRelease({ machineId }) {
      return { actionId: (await defender.unisolateMachine({ machineId, comment: 'timer-loop baseline' })).id };
    },
    async actionStatus({ actionId }) {
      const action = await defender.getMachineAction(actionId);
      return { final: isTerminalStatus(action.status), status: action.status };
    },
    greet: async ({ name }) => `hello ${name}`,
  };
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection,
    taskQueue: 'bench-history',
    workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
    activities,
    plugins: [
      new DefenderIsolationPlugin({
        tenants: { default: { client: defender, rateBudget: { perMinute: 6000, perHour: 360_000 } } },
      }),
    ],
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  // --events: each release's event types too, to see which ones a change removed.
  const events = async (workflowId: string) => {
    const history = (await client.workflow.getHandle(workflowId).fetchHistory()).events!;
    if (values.events) console.log(`${workflowId}: ${history.map(typeOf).join(' ')}`);
    return history.length;
  };

  const rows = await worker.runUntil(
    Promise.all(
      POLLS.map(async (polls) => {
        // The action stays Pending/InProgress for about `polls` poll intervals.
        const behavior = { pendingMs: (polls * POLL_MS) / 2, inProgressMs: (polls * POLL_MS) / 2 };
        const [a, b, c] = [0, 1, 2].map(() => simulator.addMachine({ isolated: true, behavior }).id);
        const base = { comment: 'bench', requestedBy: 'alice@contoso.com', pollInterval: POLL_MS, deadline: '1h' };
        const pre = await startRelease(
          client,
          { ...base, machineId: a!, approval: { preApprovedBy: 'bob@contoso.com', reason: 'bench' } },
          { taskQueue: 'bench-history' },
        );
        const approved = await startRelease(client, { ...base, machineId: b! }, { taskQueue: 'bench-history' });
        // Approved as a person does: once the release waits for it (an approval sent earlier skips the wait).
        for (
          let i = 0;
          (await getReleaseStatus(client, b!).catch(() => undefined))?.state !== 'awaiting-approval';
          i++
        ) {
          if (i > 200) throw new Error('the release never awaited approval');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await approveRelease(client, b!, { approver: 'bob@contoso.com' });
        const loop = await client.workflow.start('timerLoopRelease', {
          taskQueue: 'bench-history',
          workflowId: `timer-loop-${c}`,
          args: [{ machineId: c, pollIntervalMs: POLL_MS }],
        });
        await Promise.all([pre.handle.result(), approved.handle.result(), loop.result()]);
        return {
          polls,
          pre: await events(pre.workflowId),
          approved: await events(approved.workflowId),
          loop: await events(loop.workflowId),
        };
      }),
    ),
  );
  console.log(`\nHistory events per release (${new Date().toISOString()}, node ${process.version})`);
  console.log(
    `  ${'polls'.padStart(5)}  ${'ours, pre-approved'.padStart(18)}  ${'ours, approved'.padStart(14)}  ` +
      `${'timer loop'.padStart(10)}  loop ÷ pre-approved  loop ÷ approved`,
  );
  for (const r of rows) {
    console.log(
      `  ${String(r.polls).padStart(5)}  ${String(r.pre).padStart(18)}  ${String(r.approved).padStart(14)}  ` +
        `${String(r.loop).padStart(10)}  ${`${(r.loop / r.pre).toFixed(1)}x`.padStart(19)}  ` +
        `${`${(r.loop / r.approved).toFixed(1)}x`.padStart(15)}`,
    );
  }
  await connection.close();
} finally {
  await simulator.stop();
  await server.stop();
}
process.exit(0);
