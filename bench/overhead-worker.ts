/**
 * The worker of `npm run bench:overhead`, in a process of its own so that its RSS is the worker's alone: our plugin plus
 * the hello baseline on one task queue, as a user's worker would host both. Answers `rss` messages; ends on `stop`.
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { DefenderIsolationPlugin } from '../worker/plugin.js';
import { simulatorClient } from './setup.js';
import type { BenchActivities } from './workflows/index.js';

const [address, simulatorUrl, taskQueue, settings] = process.argv.slice(2) as [string, string, string, string];
/** Worker settings under test: a prebuilt workflow bundle (no webpack in the worker), a smaller workflow cache. */
const { bundlePath, maxCachedWorkflows } = JSON.parse(settings) as { bundlePath?: string; maxCachedWorkflows?: number };
Runtime.install({ logger: new DefaultLogger('ERROR') });
const connection = await NativeConnection.connect({ address });
const activities: Pick<BenchActivities, 'greet'> = { greet: async ({ name }) => `hello ${name}` };
const worker = await Worker.create({
  connection,
  taskQueue,
  ...(maxCachedWorkflows !== undefined ? { maxCachedWorkflows } : {}),
  ...(bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)) }),
  activities,
  plugins: [
    new DefenderIsolationPlugin({
      // Unthrottled: the benchmark measures the worker, not Defender's budget.
      tenants: { default: { client: simulatorClient(simulatorUrl), rateBudget: { perMinute: 6e6, perHour: 3.6e8 } } },
    }),
  ],
});
process.on('message', (message) => {
  if (message === 'rss') process.send!({ rss: process.memoryUsage().rss });
  if (message === 'stop') worker.shutdown();
});
const running = worker.run();
process.send!('ready');
await running;
await connection.close();
process.exit(0);
