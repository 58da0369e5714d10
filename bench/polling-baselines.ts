/**
 * `npm run bench:calls [-- --machines 1000 --baseline-sample 200 --time-scale 60]`: Defender API calls per released
 * machine, side by side in one run, for actions that take 10 simulated minutes:
 *
 *   ours      one bulk release through Temporal (batched lookups, one POST each, the tenant's watcher lists)
 *   XSOAR     POST unisolate, then GET the machine action every minute until final (the MDE pack's polling command)
 *   Splunk    POST unisolate, then GET the machine action every 5 seconds until final
 *
 * The baselines use the same DefenderClient; only the polling strategy differs. Their calls per machine do not depend
 * on how many machines run at once, so they run on a sample; the simulator's limits are off for them (with limits on,
 * they would mostly collect 429s), and the script prints the call rate they would need against the 100/min budget.
 * A benchmark, not a test: nothing is asserted.
 */
import { parseArgs } from 'node:util';
import { isTerminalStatus } from '../activities/defender/schemas.js';
import { DefenderSimulator } from '../simulator/index.js';
import { runOurBulk, TEN_MINUTE_ACTIONS } from './our-bulk.js';
import { simulatorClient } from './setup.js';

const { values } = parseArgs({
  options: {
    machines: { type: 'string', default: '1000' },
    'baseline-sample': { type: 'string', default: '200' },
    'time-scale': { type: 'string', default: '60' },
  },
});
const machines = Number(values.machines);
const sample = Math.min(machines, Number(values['baseline-sample']));
const timeScale = Number(values['time-scale']);

interface BaselineResult {
  name: string;
  machines: number;
  calls: number;
  seconds: number;
}

/** A playbook that posts and polls, as its authors wrote it; `pollEverySimulatedMs` is its only knob. */
async function pollingBaseline(name: string, pollEverySimulatedMs: number, count: number): Promise<BaselineResult> {
  const simulator = await new DefenderSimulator({
    timeScale,
    rateLimits: false,
    actionVisibilityDelayMs: 0,
    defaultBehavior: TEN_MINUTE_ACTIONS,
  }).start();
  try {
    const ids = Array.from({ length: count }, () => simulator.addMachine({ isolated: true }).id);
    const client = simulatorClient(simulator);
    const realPollMs = pollEverySimulatedMs / timeScale;
    const started = Date.now();
    await Promise.all(
      ids.map(async (machineId) => {
        const action = await client.unisolateMachine({ machineId, comment: `released by ${name}` });
        for (;;) {
          await new Promise((resolve) => setTimeout(resolve, realPollMs));
          const current = await client.getMachineAction(action.id);
          if (isTerminalStatus(current.status)) return;
        }
      }),
    );
    const calls = simulator.requests.filter((r) => r.endpoint !== 'token').length;
    return { name, machines: count, calls, seconds: (Date.now() - started) / 1000 };
  } finally {
    await simulator.stop();
  }
}

const ours = await runOurBulk({ machines, timeScale });
const xsoar = await pollingBaseline('XSOAR-style (poll every 60 s)', 60_000, sample);
const splunk = await pollingBaseline('Splunk-style (poll every 5 s)', 5_000, Math.min(sample, 50));

const oursPerMachine = ours.calls / machines;
const rows = [
  {
    name: 'ours (bulk release, watcher)',
    machines,
    perMachine: oursPerMachine,
    // Calls per simulated minute it needs at full speed: what it actually used (it paces itself to the budget).
    demand: ours.calls / ((ours.seconds * timeScale) / 60),
    note: `${ours.throttled} x 429, ${ours.duplicates} duplicates`,
  },
  ...[xsoar, splunk].map((b) => ({
    name: b.name,
    machines: b.machines,
    perMachine: b.calls / b.machines,
    // Releasing `machines` at once would need this many calls per simulated minute (the budget is 100).
    demand: ((b.calls / b.machines) * machines) / 10,
    note: 'limits off; would be throttled',
  })),
];
console.log(
  `\nDefender API calls per released machine, actions of 10 simulated minutes (${new Date().toISOString()}, ` +
    `node ${process.version}, ${timeScale}x time)`,
);
console.log(
  `  ${'strategy'.padEnd(32)} ${'machines'.padStart(8)} ${'calls/machine'.padStart(14)} ${'vs ours'.padStart(8)} ` +
    `${'calls/min for all'.padStart(18)}  notes`,
);
for (const r of rows) {
  console.log(
    `  ${r.name.padEnd(32)} ${String(r.machines).padStart(8)} ${r.perMachine.toFixed(2).padStart(14)} ` +
      `${`${(r.perMachine / oursPerMachine).toFixed(1)}x`.padStart(8)} ${r.demand.toFixed(0).padStart(18)}  ${r.note}`,
  );
}
console.log(`  Defender's budget: 100 calls/min and 1500 calls/h per app and tenant.`);
process.exit(0);
