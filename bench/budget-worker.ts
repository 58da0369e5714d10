/**
 * A release worker in a process of its own, for the benchmarks that run several worker processes against one tenant
 * (`npm run bench:latency`): the shipped plugin's workflow worker and API worker, on the simulator's default app.
 * Says `ready` once polling; ends on `stop`, or when the benchmark's process goes away.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createReleaseWorkers, type RateBudget } from '../worker/worker.js';
import { simulatorClient } from './setup.js';

const [address, simulatorUrl, taskQueue, budget] = process.argv.slice(2) as [string, string, string, string];
Runtime.install({ logger: new DefaultLogger('ERROR') });
const connection = await NativeConnection.connect({ address });
const workers = await createReleaseWorkers({
  connection,
  taskQueue,
  rateBudget: JSON.parse(budget) as RateBudget,
  defender: simulatorClient(simulatorUrl),
  ...(process.env.BENCH_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: process.env.BENCH_WORKFLOW_BUNDLE } } : {}),
});
process.on('message', (message) => {
  if (message === 'stop') workers.shutdown();
});
// A benchmark that dies leaves no worker behind.
process.on('disconnect', () => workers.shutdown());
const running = workers.run();
process.send!('ready');
await running;
await connection.close();
process.exit(0);
