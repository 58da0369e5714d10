/**
 * `npm test`: every tier, fast first. `npm run test:fast`: the fast tier only.
 *
 *   test/unit/       no server: the Defender client, error mapping, schemas, simulator, replay, lint rules, packaging
 *   test/workflows/  workflow logic on the time-skipping test server with mocked activities: every branch, no waits
 *   test/e2e/        the real dev server (ONE per run, started here) and the Defender simulator over loopback
 *   test/final/      the secret scan, over everything the run produced (full runs only)
 *
 *   npm test                       # everything
 *   npm test -- test/e2e/bulk      # only files whose path contains a filter (no secret scan)
 *   npm run test:fast              # test/unit and test/workflows: no dev server, no build
 *   npm test -- --no-build ...     # skip building dist/ first (the package's own entries resolve to it)
 *
 * A missing Temporal CLI or test server fails the run loudly; nothing is skipped. Every file also runs on its own
 * (`node --import tsx --test <file>`): an end-to-end file then starts a dev server of its own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../contract/index.js';
import { freePort, startDevServer, type DevServer } from '../dev/dev-server.js';
import { cliVersion, resolveTemporalCli } from '../dev/temporal-cli.js';
import { writeWorkflowBundle } from '../worker/bundle-workflows.js';
import { PROJECT_ROOT } from '../worker/paths.js';

const sep = path.sep;
const TIERS = ['unit', 'workflows', 'e2e', 'final'] as const;
type Tier = (typeof TIERS)[number];
const tierOf = (file: string): Tier => TIERS.find((t) => file.startsWith(`test${sep}${t}${sep}`)) ?? 'unit';

/**
 * Per test file (Node's runner times each file as one test): about twice the longest file on the project's machine,
 * so that a hang fails the run instead of holding CI until its workflows' deadlines.
 */
const TEST_TIMEOUT_MS = 600_000;

/**
 * The longest end-to-end files, longest first: started first, they run beside the many short ones instead of after
 * them, so that the tier ends when its longest file does.
 */
const LONGEST_FIRST = ['bulk-scale', 'bulk-cancel', 'crash-soak', 'release-load', 'fault-matrix', 'release-resilience'];
const byLength = (a: string, b: string) => rank(a) - rank(b) || a.localeCompare(b);
const rank = (file: string) => {
  const at = LONGEST_FIRST.findIndex((name) => path.basename(file) === `${name}.test.ts`);
  return at < 0 ? LONGEST_FIRST.length : at;
};

interface BatchResult {
  code: number;
  pass: number;
  fail: number;
}

function runBatch(
  files: string[],
  env: NodeJS.ProcessEnv,
  resultsDir: string,
  name: string,
  options: { concurrency?: string; spec?: string } = {},
): Promise<BatchResult> {
  const tap = path.join(resultsDir, `${name}.tap`);
  const concurrency = options.concurrency ?? process.env.TEST_CONCURRENCY ?? '2';
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${concurrency}`,
        `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? TEST_TIMEOUT_MS}`,
        '--test-reporter=spec',
        `--test-reporter-destination=${options.spec ?? 'stdout'}`,
        '--test-reporter=tap',
        `--test-reporter-destination=${tap}`,
        '--test-reporter=junit',
        `--test-reporter-destination=${path.join(resultsDir, `${name}.junit.xml`)}`,
        ...files,
      ],
      { cwd: PROJECT_ROOT, env, stdio: 'inherit' },
    );
    child.once('exit', (exitCode, signal) => {
      const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
      const count = (key: string) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      resolve({ code: exitCode ?? (signal ? 1 : 0), pass: count('pass'), fail: count('fail') + count('cancelled') });
    });
  });
}

function selectFiles(args: string[]): { byTier: Map<Tier, string[]>; full: boolean } {
  const fast = args.includes('--fast');
  const filters = args.filter((a) => !a.startsWith('--'));
  const all = (readdirSync(path.join(PROJECT_ROOT, 'test'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join('test', f))
    .sort();
  const byTier = new Map<Tier, string[]>();
  for (const file of all) {
    const tier = tierOf(file);
    if (fast && tier !== 'unit' && tier !== 'workflows') continue;
    if (filters.length > 0 && !filters.some((filter) => file.includes(filter))) continue;
    byTier.set(tier, [...(byTier.get(tier) ?? []), file]);
  }
  // The secret scan only means something after a full run.
  const full = filters.length === 0 && !fast;
  if (!full) byTier.delete('final');
  return { byTier, full };
}

/**
 * Tests import the package by its own name (`defender-isolation/...`), as users do: that resolves to dist/. The build
 * is incremental (tsconfig.build.json), so after `npm run build` it is a check that nothing changed.
 */
function buildDist(): boolean {
  const started = Date.now();
  const tsc = path.join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  });
  if (build.status !== 0) return false;
  console.log(`Built dist/ in ${Date.now() - started} ms`);
  return true;
}

/** Prints what `file` holds and what is appended to it, until `done` settles. */
async function follow(file: string, done: Promise<unknown>): Promise<void> {
  let printed = 0;
  const flush = () => {
    if (!existsSync(file)) return;
    const bytes = readFileSync(file);
    process.stdout.write(bytes.subarray(printed));
    printed = bytes.length;
  };
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    flush();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  flush();
}

async function startRunServer(resultsDir: string): Promise<DevServer> {
  const cli = resolveTemporalCli();
  const started = Date.now();
  const server = await startDevServer({
    cliPath: cli.path,
    // The Web UI too: the browser test looks at releases as a person does.
    uiPort: await freePort(),
    searchAttributes: SEARCH_ATTRIBUTES,
    logFile: path.join(resultsDir, 'temporal-dev-server.log'),
  });
  console.log(
    `Temporal dev server ready at ${server.address} in ${Date.now() - started} ms (${cliVersion(cli.path)}, from ${cli.source})`,
  );
  return server;
}

async function main(): Promise<number> {
  const started = Date.now();
  const args = process.argv.slice(2);
  const { byTier } = selectFiles(args);
  if (byTier.size === 0) {
    console.error('no test files matched');
    return 1;
  }
  if (!args.includes('--no-build') && !args.includes('--fast') && !buildDist()) {
    console.error('the build failed; nothing was tested');
    return 1;
  }
  const resultsDir = path.join(PROJECT_ROOT, 'test-results');
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, TEST_RESULTS_DIR: resultsDir };
  // The workflows bundled once for every worker of the run (seconds of CPU each otherwise).
  env.TEST_WORKFLOW_BUNDLE = await writeWorkflowBundle(path.join(resultsDir, 'workflow-bundle.js'));

  let server: DevServer | undefined;
  const stopServer = async () => {
    await server?.stop();
    server = undefined;
  };
  process.once('SIGINT', () => void stopServer().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stopServer().then(() => process.exit(143)));
  try {
    const results: BatchResult[] = [];
    const fast = [...(byTier.get('unit') ?? []), ...(byTier.get('workflows') ?? [])];
    const e2e = [...(byTier.get('e2e') ?? [])].sort(byLength);
    let e2eRun: Promise<BatchResult> | undefined;
    const e2eSpec = path.join(resultsDir, 'e2e.spec.txt');
    if (e2e.length > 0) {
      server = await startRunServer(resultsDir);
      env.TEMPORAL_TEST_ADDRESS = server.address;
      env.TEMPORAL_TEST_NAMESPACE = server.namespace;
      env.TEMPORAL_TEST_UI_URL = server.uiUrl;
      // The end-to-end files start at once beside the fast tiers: they mostly wait on Temporal timers and simulated
      // Defender delays, so three at a time fill the CPU the others leave. Their report follows the fast tiers'.
      e2eRun = runBatch(e2e, env, resultsDir, 'e2e', {
        concurrency: process.env.TEST_CONCURRENCY ?? '3',
        spec: e2eSpec,
      });
    }
    if (fast.length > 0) results.push(await runBatch(fast, env, resultsDir, 'fast'));
    if (e2eRun) {
      console.log('\n== end to end, on the dev server and the simulator');
      await follow(e2eSpec, e2eRun);
      results.push(await e2eRun);
    }
    const final = byTier.get('final') ?? [];
    if (final.length > 0) {
      console.log('\n== secret scan over the whole run');
      results.push(await runBatch(final, env, resultsDir, 'final'));
    }
    const pass = results.reduce((n, r) => n + r.pass, 0);
    const fail = results.reduce((n, r) => n + r.fail, 0);
    const code = results.find((r) => r.code !== 0)?.code ?? 0;
    console.log(`\ntests: ${pass} passed, ${fail} failed (${Math.round((Date.now() - started) / 1000)} s)`);
    return code !== 0 ? code : fail > 0 ? 1 : 0;
  } finally {
    await stopServer();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
