/**
 * `npm test`: starts ONE Temporal dev server for the whole run (headless, free ports, the project's search attributes
 * registered), runs every test file with Node's test runner against it, then the secret scan over everything the run
 * produced, then stops the server. A missing Temporal CLI fails the run loudly; nothing is skipped.
 *
 *   npm test                       # everything
 *   npm test -- test/simulator     # only files whose path contains a filter (no secret scan)
 *   npm run test:unit              # only files that need no Temporal server (outside test/workflows/)
 *   npm test -- --no-build ...     # skip building dist/ first (the package's own entries resolve to it)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../contract/index.js';
import { freePort, startDevServer, type DevServer } from '../dev/dev-server.js';
import { PROJECT_ROOT } from '../worker/paths.js';
import { cliVersion, resolveTemporalCli } from '../dev/temporal-cli.js';

const sep = path.sep;
/** Test files under this folder need the Temporal server; the rest talk only to the simulator. */
const TEMPORAL_DIR = `test${sep}workflows${sep}`;
/** Runs last, over what all the others produced. */
const FINAL_DIR = `test${sep}final${sep}`;

/**
 * Per test file (Node's runner times each file as one test). The longest, bulk-scale, takes about 4.5 minutes in CI on
 * the project's machine; a hang then fails in 10 minutes instead of holding CI until its workflows' deadlines.
 */
const TEST_TIMEOUT_MS = 600_000;

interface BatchResult {
  code: number;
  pass: number;
  fail: number;
}

function runBatch(files: string[], env: NodeJS.ProcessEnv, resultsDir: string, name: string): Promise<BatchResult> {
  const tap = path.join(resultsDir, `${name}.tap`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`,
        `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? TEST_TIMEOUT_MS}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
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

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const noServer = args.includes('--no-server');
  const filters = args.filter((a) => !a.startsWith('--'));
  const all = (readdirSync(path.join(PROJECT_ROOT, 'test'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join('test', f))
    .sort();
  const selected = all
    .filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter)))
    .filter((f) => !noServer || (!f.startsWith(TEMPORAL_DIR) && !f.startsWith(FINAL_DIR)));
  const main = selected.filter((f) => !f.startsWith(FINAL_DIR));
  // The secret scan only means something after a full run.
  const final = filters.length === 0 && !noServer ? selected.filter((f) => f.startsWith(FINAL_DIR)) : [];
  if (main.length === 0) {
    console.error('no test files matched');
    return 1;
  }

  // Tests import the package by its own name (`defender-isolation/...`), as users do: that resolves to dist/.
  if (!args.includes('--no-build')) {
    const started = Date.now();
    rmSync(path.join(PROJECT_ROOT, 'dist'), { recursive: true, force: true });
    const build = spawnSync(
      process.execPath,
      [path.join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: PROJECT_ROOT,
        stdio: 'inherit',
      },
    );
    if (build.status !== 0) {
      console.error('the build failed; nothing was tested');
      return 1;
    }
    console.log(`Built dist/ in ${Date.now() - started} ms`);
  }

  const resultsDir = path.join(PROJECT_ROOT, 'test-results');
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, TEST_RESULTS_DIR: resultsDir };
  let server: DevServer | undefined;
  if (!noServer) {
    const cli = resolveTemporalCli();
    const started = Date.now();
    server = await startDevServer({
      cliPath: cli.path,
      // The Web UI too: the browser test looks at releases as a person does.
      uiPort: await freePort(),
      searchAttributes: SEARCH_ATTRIBUTES,
      logFile: path.join(resultsDir, 'temporal-dev-server.log'),
    });
    console.log(
      `Temporal dev server ready at ${server.address} in ${Date.now() - started} ms (${cliVersion(cli.path)}, from ${cli.source})`,
    );
    env.TEMPORAL_TEST_ADDRESS = server.address;
    env.TEMPORAL_TEST_NAMESPACE = server.namespace;
    env.TEMPORAL_TEST_UI_URL = server.uiUrl;
  }

  const stopServer = async () => {
    await server?.stop();
    server = undefined;
  };
  process.once('SIGINT', () => void stopServer().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stopServer().then(() => process.exit(143)));

  try {
    const results = [await runBatch(main, env, resultsDir, 'tests')];
    if (final.length > 0) {
      console.log('\n== secret scan over the whole run');
      results.push(await runBatch(final, env, resultsDir, 'final'));
    }
    const pass = results.reduce((n, r) => n + r.pass, 0);
    const fail = results.reduce((n, r) => n + r.fail, 0);
    const code = results.find((r) => r.code !== 0)?.code ?? 0;
    console.log(`\ntests: ${pass} passed, ${fail} failed`);
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
