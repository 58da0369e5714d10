/**
 * `npm run bench:bulk [-- --machines 1000 --time-scale 60]`: one bulk release of N isolated machines against the
 * Defender simulator with Defender's limits on (100/min, 1500/h per app+tenant), time-compressed, on a local dev server.
 * Prints API calls per machine, 429s, duplicates and wall time. A benchmark, not a test: nothing is asserted.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { DefenderClient } from '../activities/defender/client.js';
import { ClientCredentialsTokenSource } from '../activities/defender/token.js';
import { DEFAULT_APP, DefenderSimulator } from '../simulator/index.js';
import { startDevServer } from '../worker/dev-server.js';
import { resolveTemporalCli } from '../worker/temporal-cli.js';
import { activitiesPerSecond, createReleaseWorkers } from '../worker/worker.js';
import type { BulkReport } from '../workflows/bulk-definitions.js';
import type { bulkRelease } from '../workflows/bulk-release.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

const { values } = parseArgs({
  options: {
    machines: { type: 'string', default: '1000' },
    'time-scale': { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '200' },
  },
});
const machines = Number(values.machines);
const timeScale = Number(values['time-scale']);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const cli = await resolveTemporalCli();
if (cli.source === 'sdk-download') throw new Error('install the Temporal CLI first: npm run setup:temporal');
const server = await startDevServer({ cliPath: cli.path, searchAttributes: SEARCH_ATTRIBUTES });
const simulator = await new DefenderSimulator({
  timeScale,
  rateLimits: { perMinute: 100, perHour: 1500 },
  actionVisibilityDelayMs: 1_000,
  // Actions take 10 simulated minutes from POST to Succeeded.
  defaultBehavior: { pendingMs: 300_000, inProgressMs: 300_000 },
}).start();
try {
  const ids = Array.from({ length: machines }, () => simulator.addMachine({ isolated: true }).id);
  const connection = await NativeConnection.connect({ address: server.address });
  const budget = { perMinute: 100, perHour: 1500, timeScale };
  const workers = await createReleaseWorkers({
    connection,
    taskQueue: 'bench',
    rateBudget: budget,
    defender: new DefenderClient({
      apiUrl: simulator.url,
      userAgent: 'bench',
      tokens: new ClientCredentialsTokenSource({ ...DEFAULT_APP, loginUrl: simulator.url, userAgent: 'bench' }),
    }),
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const started = Date.now();
  const report: BulkReport = await workers.runUntil(
    client.workflow.execute<typeof bulkRelease>('bulkRelease', {
      taskQueue: 'bench',
      workflowId: `bench-${Date.now()}`,
      args: [
        {
          machineIds: ids,
          comment: 'benchmark',
          requestedBy: 'bench',
          approval: { preApprovedBy: 'bench-approver', reason: 'benchmark' },
          concurrency: Number(values.concurrency),
          pollInterval: `${Math.max(1, Math.round(30 / timeScale))}s`,
          deadline: '1h',
        },
      ],
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const api = simulator.requests.filter((r) => r.endpoint !== 'token');
  const byEndpoint: Record<string, number> = {};
  for (const r of api) byEndpoint[r.endpoint] = (byEndpoint[r.endpoint] ?? 0) + 1;
  const duplicates = ids.filter(
    (id) => simulator.machineActions(id).filter((a) => a.type === 'Unisolate').length !== 1,
  );
  const simulatedMinutes = (seconds * timeScale) / 60;
  const rows: [string, string][] = [
    ['machines', String(machines)],
    ['released', String(report.counts.released ?? 0)],
    ['wall time', `${seconds.toFixed(1)} s (${simulatedMinutes.toFixed(1)} simulated min at ${timeScale}x)`],
    [
      'API calls',
      `${api.length} (${Object.entries(byEndpoint)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')})`,
    ],
    ['API calls per machine', (api.length / machines).toFixed(3)],
    ['429 responses', String(api.filter((r) => r.status === 429).length)],
    ['duplicate release actions', String(duplicates.length)],
    ['budget (calls/simulated hour)', `${((activitiesPerSecond(budget) / timeScale) * 3600).toFixed(0)} of 1500`],
    ['calls per simulated hour achieved', ((api.length / simulatedMinutes) * 60).toFixed(0)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nbulk release benchmark (${new Date().toISOString()}, node ${process.version})`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  await connection.close();
} finally {
  await simulator.stop();
  await server.stop();
}
process.exit(0);
