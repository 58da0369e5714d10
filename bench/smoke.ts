/**
 * `npm run bench:smoke`: every benchmark at a tiny size, so that CI notices when one stops running. Checks that each
 * exits 0 and prints its table; no figure is judged (benchmarks are not tests, and timings on CI machines mean little).
 */
import { spawnSync } from 'node:child_process';

const RUNS: { script: string; args: string[]; table: RegExp }[] = [
  {
    script: 'bench:calls',
    args: ['--machines', '20', '--baseline-sample', '4'],
    table: /API calls per released machine/,
  },
  { script: 'bench:bulk', args: ['--machines', '20'], table: /API calls per machine/ },
  { script: 'bench:dispatch', args: ['--rate', '20', '--activities', '30'], table: /task-queue dispatch benchmark/ },
  { script: 'bench:history', args: ['--polls', '1,3'], table: /History events per release/ },
  {
    script: 'bench:latency',
    args: ['--releases', '5', '--budget-releases', '2', '--hour-minutes', '2'],
    table: /Approval → POST latency/,
  },
  {
    script: 'bench:urgent',
    args: ['--machines', '20', '--concurrency', '10', '--singles', '2', '--every', '5', '--time-scale', '20'],
    table: /Urgent release while a batch keeps the budget busy/,
  },
  {
    script: 'bench:overhead',
    // As the Docker image runs the worker (compiled, build-time bundle, bounded cache and heap).
    args: [
      '--releases',
      '10',
      '--rounds',
      '1',
      '--in-flight',
      '10',
      '--compiled',
      '--max-cached-workflows',
      '100',
      '--worker-node-flags=--max-old-space-size=256 --max-semi-space-size=2',
    ],
    table: /release rate \/ hello rate/,
  },
];

let failed = 0;
for (const run of RUNS) {
  const began = Date.now();
  const result = spawnSync('npm', ['run', '--silent', run.script, '--', ...run.args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const ok = result.status === 0 && run.table.test(result.stdout);
  if (!ok) failed++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} npm run ${run.script} -- ${run.args.join(' ')} (${((Date.now() - began) / 1000).toFixed(0)} s)`,
  );
  if (!ok) console.log(result.stdout, result.stderr, result.error ?? '');
}
console.log(`bench smoke: ${RUNS.length - failed} of ${RUNS.length} benchmarks ran`);
process.exit(failed === 0 ? 0 : 1);
