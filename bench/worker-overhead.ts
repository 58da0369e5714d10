/**
 * `npm run bench:overhead [-- --releases 500 --rounds 2 --in-flight 1000 --max-cached-workflows N --prebuilt-bundle
 * --compiled --worker-node-flags="..."]`: what our workflows cost a worker, side by side in one run on one dev server,
 * each measurement in a fresh worker process (our plugin plus the baselines, as a user's worker would host both):
 * - throughput: pre-approved releases completed per second against a simulator whose actions finish at once, against
 *   Temporal's floor, a one-activity `hello` workflow, in alternating rounds (the ratio is the figure; absolute rates
 *   drift on shared machines);
 * - memory: the worker's RSS idle and with N releases in flight (their actions stay Pending, the watcher follows them),
 *   against N `held` workflows (which only wait for a signal) in flight.
 * `--prebuilt-bundle` bundles the workflows once, here, as a deployment would at build time (the plugin's bundler
 * hook adds ours), so the worker runs no webpack; `--compiled` runs the worker as JavaScript compiled by tsc (as the
 * Docker image does) rather than through tsx, whose loader thread costs ~50 MB; `--max-cached-workflows` bounds the
 * worker's workflow cache; `--worker-node-flags` passes V8 flags to the worker (e.g. `--max-old-space-size=256
 * --max-semi-space-size=2`, the image's NODE_OPTIONS).
 * A benchmark, not a test: nothing is asserted.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startRelease } from '../client/release-client.js';
import { DefenderSimulator } from '../simulator/index.js';
import { writeWorkflowBundle } from '../worker/bundle-workflows.js';
import { DefenderIsolationPlugin } from '../worker/plugin.js';
import { simulatorClient, startBenchServer } from './setup.js';

const { values } = parseArgs({
  options: {
    releases: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '2' },
    'in-flight': { type: 'string', default: '1000' },
    'max-cached-workflows': { type: 'string' },
    'prebuilt-bundle': { type: 'boolean', default: false },
    compiled: { type: 'boolean', default: false },
    'worker-node-flags': { type: 'string', default: '' },
  },
});
const nodeFlags = values['worker-node-flags'].split(' ').filter(Boolean);
// Compiled JavaScript cannot bundle TypeScript workflows at start: it takes the prebuilt bundle.
const prebuiltBundle = values['prebuilt-bundle'] || values.compiled;
const n = Number(values.releases);
const rounds = Number(values.rounds);
const inFlight = Number(values['in-flight']);
const maxCached = values['max-cached-workflows'];
const settings: { bundlePath?: string; maxCachedWorkflows?: number } = {
  ...(maxCached ? { maxCachedWorkflows: Number(maxCached) } : {}),
};

const server = await startBenchServer();
const simulator = await new DefenderSimulator({
  rateLimits: false,
  actionVisibilityDelayMs: 0,
  defaultBehavior: { pendingMs: 0, inProgressMs: 0 },
}).start();
if (prebuiltBundle) {
  settings.bundlePath = await writeWorkflowBundle(
    path.join(mkdtempSync(path.join(tmpdir(), 'bench-bundle-')), 'workflows.js'),
    {
      workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
      plugins: [new DefenderIsolationPlugin({ tenants: { default: { client: simulatorClient(simulator) } } })],
    },
  );
}
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const base = { comment: 'bench', requestedBy: 'alice@contoso.com', pollInterval: '1s' };
const preApproved = { preApprovedBy: 'bob@contoso.com', reason: 'bench' };
let phase = 0;

interface BenchWorker {
  taskQueue: string;
  pid: number;
  rss(): Promise<number>;
  stop(): Promise<void>;
}

let workerProgram = fileURLToPath(new URL('./overhead-worker.ts', import.meta.url));
if (values.compiled) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.bench.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  workerProgram = path.join(root, '.cache/bench-dist/bench/overhead-worker.js');
}

async function startWorker(): Promise<BenchWorker> {
  const taskQueue = `bench-overhead-${++phase}`;
  const child: ChildProcess = fork(
    workerProgram,
    [server.address, simulator.url, taskQueue, JSON.stringify(settings)],
    {
      execArgv: [...nodeFlags, ...(values.compiled ? [] : ['--import', 'tsx'])],
    },
  );
  await once(child, 'message');
  return {
    taskQueue,
    pid: child.pid!,
    async rss() {
      child.send('rss');
      const [answer] = (await once(child, 'message')) as [{ rss: number }];
      return answer.rss;
    },
    async stop() {
      child.send('stop');
      await once(child, 'exit');
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from Linux's /proc; NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name: state is 3rd, utime and stime are the 14th and 15th of the whole line.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Where a round's CPU went: the Temporal server's and the worker's, in ms per workflow completed. */
interface CpuPerWorkflow {
  server: number;
  worker: number;
  /** This process: the client starting the workflows, and the simulator answering the releases. */
  bench: number;
}

async function measureCpu<T>(
  workerPid: number,
  count: number,
  run: () => Promise<T>,
): Promise<{ value: T; cpu: CpuPerWorkflow }> {
  const serverPid = server.process.pid!;
  const [server0, worker0] = [cpuSeconds(serverPid), cpuSeconds(workerPid)];
  const bench0 = process.cpuUsage();
  const value = await run();
  const bench = process.cpuUsage(bench0);
  const perWorkflow = (before: number, after: number) => ((after - before) * 1000) / count;
  return {
    value,
    cpu: {
      server: perWorkflow(server0, cpuSeconds(serverPid)),
      worker: perWorkflow(worker0, cpuSeconds(workerPid)),
      bench: perWorkflow(0, (bench.user + bench.system) / 1e6),
    },
  };
}

/** Starts `count` workflows at once and waits for them all: completed per second, from the first start. */
async function rate(count: number, start: (i: number) => Promise<{ result(): Promise<unknown> }>): Promise<number> {
  const began = performance.now();
  const handles = await Promise.all(Array.from({ length: count }, (_, i) => start(i)));
  await Promise.all(handles.map((h) => h.result()));
  return count / ((performance.now() - began) / 1000);
}

/** Peak RSS over 5 s once `ready` says the workflows are all in flight. */
async function peakRss(worker: BenchWorker, ready: () => boolean): Promise<number> {
  while (!ready()) await sleep(250);
  let peak = 0;
  for (let i = 0; i < 20; i++) {
    peak = Math.max(peak, await worker.rss());
    await sleep(250);
  }
  return peak;
}

const unisolates = () => simulator.requests.filter((r) => r.endpoint === 'unisolateMachine').length;

try {
  // 1. Throughput, alternating rounds in one worker, after a warm-up of both (bundle, connections, watcher).
  const throughput = await startWorker();
  const { taskQueue } = throughput;
  const hello = (round: number) => (i: number) =>
    client.workflow.start('hello', { taskQueue, workflowId: `hello-${round}-${i}`, args: [{ name: `n${i}` }] });
  const release = (round: number) => async (i: number) => {
    const machineId = simulator.addMachine({ isolated: true }).id;
    const started = await startRelease(
      client,
      { ...base, machineId, approval: preApproved },
      { taskQueue, workflowId: `release-${round}-${i}` },
    );
    return started.handle;
  };
  await rate(20, hello(0));
  await rate(20, release(0));
  const helloRates: number[] = [];
  const releaseRates: number[] = [];
  const helloCpu: CpuPerWorkflow[] = [];
  const releaseCpu: CpuPerWorkflow[] = [];
  for (let round = 1; round <= rounds; round++) {
    const h = await measureCpu(throughput.pid, n, () => rate(n, hello(round)));
    helloRates.push(h.value);
    helloCpu.push(h.cpu);
    const r = await measureCpu(throughput.pid, n, () => rate(n, release(round)));
    releaseRates.push(r.value);
    releaseCpu.push(r.cpu);
  }
  await throughput.stop();

  // 2. Memory of N workflows that only wait, in a fresh worker.
  const floor = await startWorker();
  const floorIdle = await floor.rss();
  let heldStarted = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, i) => {
      await client.workflow.start('held', { taskQueue: floor.taskQueue, workflowId: `held-${i}` });
      heldStarted++;
    }),
  );
  // Started is not yet in the worker's cache: give the first workflow tasks time to run.
  let settled = false;
  setTimeout(() => (settled = true), 5_000);
  const floorPeak = await peakRss(floor, () => heldStarted === inFlight && settled);
  await floor.stop();

  // 3. Memory of N releases in flight (actions Pending for an hour; the watcher follows them), in a fresh worker.
  const ours = await startWorker();
  const oursIdle = await ours.rss();
  const before = unisolates();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, i) => {
      const machineId = simulator.addMachine({ isolated: true, behavior: { pendingMs: 3_600_000 } }).id;
      await startRelease(
        client,
        { ...base, machineId, approval: preApproved },
        { taskQueue: ours.taskQueue, workflowId: `in-flight-${i}` },
      );
    }),
  );
  const oursPeak = await peakRss(ours, () => unisolates() >= before + inFlight);
  await ours.stop();

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fmt = (xs: number[]) => `${mean(xs).toFixed(1)}/s (rounds: ${xs.map((x) => x.toFixed(1)).join(', ')})`;
  const cpuRow = (who: string, key: keyof CpuPerWorkflow): [string, string] => {
    const ms = (cpu: CpuPerWorkflow[]) => `${mean(cpu.map((c) => c[key])).toFixed(1)} ms`;
    return [`${who} CPU per workflow, hello / release`, `${ms(helloCpu)} / ${ms(releaseCpu)}`];
  };
  const rows: [string, string][] = [
    [`hello workflow (1 activity), ${n} at once`, fmt(helloRates)],
    [`releaseMachine, pre-approved, ${n} at once`, fmt(releaseRates)],
    ['release rate / hello rate', `${((mean(releaseRates) / mean(helloRates)) * 100).toFixed(0)} %`],
    cpuRow('Temporal server', 'server'),
    cpuRow('worker', 'worker'),
    cpuRow('client + simulator', 'bench'),
    [`worker RSS, ${inFlight} held workflows in flight`, `${mb(floorPeak)} (idle ${mb(floorIdle)})`],
    [`worker RSS, ${inFlight} releases in flight`, `${mb(oursPeak)} (idle ${mb(oursIdle)})`],
    [
      'RSS per workflow in flight, ours / held',
      `${((oursPeak - oursIdle) / inFlight / 1024).toFixed(0)} KB / ${((floorPeak - floorIdle) / inFlight / 1024).toFixed(0)} KB`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(
    `\nworker overhead benchmark (${new Date().toISOString()}, node ${process.version}` +
      `${maxCached ? `, maxCachedWorkflows ${maxCached}` : ''}${settings.bundlePath ? ', prebuilt bundle' : ''}` +
      `${values.compiled ? ', compiled' : ', tsx'}${nodeFlags.length > 0 ? `, ${nodeFlags.join(' ')}` : ''})`,
  );
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
} finally {
  await connection.close();
  await simulator.stop();
  await server.stop();
}
process.exit(0);
