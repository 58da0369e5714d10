/**
 * `npm run bench:bulk [-- --machines 1000 --time-scale 60]`: one bulk release of N isolated machines against the
 * Defender simulator with Defender's limits on (100/min, 1500/h per app+tenant), time-compressed, on a local dev server.
 * Prints API calls per machine, 429s, duplicates and wall time. A benchmark, not a test: nothing is asserted.
 * `--server-defaults` runs the dev server without the exact task-queue rate settings, to compare.
 */
import { parseArgs } from 'node:util';
import { activitiesPerSecond } from '../worker/worker.js';
import { runOurBulk } from './our-bulk.js';

const { values } = parseArgs({
  options: {
    machines: { type: 'string', default: '1000' },
    'time-scale': { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '200' },
    'server-defaults': { type: 'boolean', default: false },
  },
});
const timeScale = Number(values['time-scale']);
const r = await runOurBulk({
  machines: Number(values.machines),
  timeScale,
  concurrency: Number(values.concurrency),
  serverDefaults: values['server-defaults'],
});
const simulatedMinutes = (r.seconds * timeScale) / 60;
const rows: [string, string][] = [
  ['machines', String(r.machines)],
  [
    'Temporal server',
    values['server-defaults']
      ? 'dev server defaults (classic matcher, 4 partitions)'
      : 'exact task-queue rates (new matcher, 1 partition)',
  ],
  ['released', String(r.released)],
  ['wall time', `${r.seconds.toFixed(1)} s (${simulatedMinutes.toFixed(1)} simulated min at ${timeScale}x)`],
  [
    'API calls',
    `${r.calls} (${Object.entries(r.byEndpoint)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
  ],
  ['API calls per machine', (r.calls / r.machines).toFixed(3)],
  ['429 responses', String(r.throttled)],
  ['duplicate release actions', String(r.duplicates)],
  ['budget (calls/simulated hour)', `${((activitiesPerSecond(r.budget) / timeScale) * 3600).toFixed(0)} of 1500`],
  ['calls per simulated hour achieved', ((r.calls / simulatedMinutes) * 60).toFixed(0)],
];
// Throughput against the rate-limit bound, in the steady state (first POST to last): Defender allows 1500 calls an
// hour, and a release needs at least its POST, so 1500 machines an hour is the most any strategy can release.
const windowHours = (r.postWindow.seconds * timeScale) / 3600;
const machinesPerHour = (r.postWindow.posts - 1) / windowHours;
const callsPerHour = r.postWindow.calls / windowHours;
rows.push(
  [
    'steady state (first POST to last)',
    `${(windowHours * 60).toFixed(1)} simulated min, ${r.postWindow.posts} POSTs, ${r.postWindow.calls} calls`,
  ],
  [
    'machines released per simulated hour',
    `${machinesPerHour.toFixed(0)} = ${((machinesPerHour / 1500) * 100).toFixed(1)} % of the bound (1500/h)`,
  ],
  ['longest pause between POSTs', `${((r.postWindow.longestPauseSeconds * timeScale) / 60).toFixed(1)} simulated min`],
  ['calls per simulated hour', `${callsPerHour.toFixed(0)} = ${((callsPerHour / 1500) * 100).toFixed(1)} % of 1500/h`],
);
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`\nbulk release benchmark (${new Date().toISOString()}, node ${process.version})`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
process.exit(0);
