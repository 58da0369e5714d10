/**
 * `npm run bench:dispatch [-- --rate 4 --activities 200]`: how exactly the Temporal server dispatches a task queue's
 * rate limit (`maxTaskQueueActivitiesPerSecond`, which is how the plugin holds Defender's budget), with the dev
 * server's defaults and with the settings our embedded dev server and compose file use. Each configuration gets a
 * fresh dev server and a backlog of activities that answer at once; the rate is measured from the 11th completion to
 * the last (the first ones come out of the limiter's burst). A benchmark, not a test: nothing is asserted.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startBenchServer } from './setup.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '4' },
    activities: { type: 'string', default: '200' },
  },
});
const rate = Number(values.rate);
const n = Number(values.activities);
const BURST = 10;

const CONFIGURATIONS = [
  { name: 'dev server defaults (classic matcher, 4 partitions)', serverDefaults: true, extra: [] },
  {
    name: 'matching.useNewMatcher only (4 partitions)',
    serverDefaults: true,
    extra: ['--dynamic-config-value', 'matching.useNewMatcher=true'],
  },
  { name: 'ours: new matcher, 1 partition per task queue', serverDefaults: false, extra: [] },
];

async function measure(serverDefaults: boolean, extra: string[]): Promise<number> {
  const server = await startBenchServer({ serverDefaults, extraArgs: extra });
  try {
    const connection = await NativeConnection.connect({ address: server.address });
    const done: number[] = [];
    const workflows = await Worker.create({
      connection,
      taskQueue: 'dispatch',
      workflowsPath: new URL('./workflows/index.ts', import.meta.url).pathname,
    });
    const api = await Worker.create({
      connection,
      taskQueue: 'dispatch-api',
      activities: { tick: async () => void done.push(Date.now()) },
      maxTaskQueueActivitiesPerSecond: rate,
    });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    await api.runUntil(
      workflows.runUntil(
        client.workflow.execute('fanout', {
          taskQueue: 'dispatch',
          workflowId: `fanout-${Date.now()}`,
          args: [{ n, lanes: n, taskQueue: 'dispatch-api' }],
        }),
      ),
    );
    await client.connection.close();
    await connection.close();
    if (done.length !== n) throw new Error(`expected ${n} activities, ran ${done.length}`);
    return (n - BURST - 1) / ((done.at(-1)! - done[BURST]!) / 1000);
  } finally {
    await server.stop();
  }
}

const rows: [string, string][] = [];
for (const c of CONFIGURATIONS) {
  const achieved = await measure(c.serverDefaults, c.extra);
  rows.push([c.name, `${achieved.toFixed(2)}/s = ${((achieved / rate) * 100).toFixed(1)} % of ${rate}/s`]);
}
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`\ntask-queue dispatch benchmark (${new Date().toISOString()}, ${n} activities, limit ${rate}/s)`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
process.exit(0);
