/**
 * `npm test`: starts ONE Temporal dev server for the whole run (headless, free ports, the project's search attributes
 * registered), runs every test file with Node's test runner against it, then stops it. A missing Temporal CLI fails the
 * run loudly; nothing is skipped. `--no-server` runs only the files outside test/workflows/, which need no Temporal server.
 *
 *   npm test                       # everything
 *   npm test -- test/simulator     # only files whose path contains a filter
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { startDevServer } from '../worker/dev-server.js';
import { PROJECT_ROOT } from '../worker/paths.js';
import { cliVersion, resolveTemporalCli } from '../worker/temporal-cli.js';

/** Test files under this folder need the Temporal server; the rest talk only to the simulator. */
const TEMPORAL_DIR = `test${path.sep}workflows${path.sep}`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const noServer = args.includes('--no-server');
  const filters = args.filter((a) => !a.startsWith('--'));
  const testDir = path.join(PROJECT_ROOT, 'test');
  const files = (readdirSync(testDir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join('test', f))
    .filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter)))
    .filter((f) => !noServer || !f.startsWith(TEMPORAL_DIR))
    .sort();
  if (files.length === 0) {
    console.error('no test files matched');
    return 1;
  }

  const resultsDir = path.join(PROJECT_ROOT, 'test-results');
  mkdirSync(resultsDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, TEST_RESULTS_DIR: resultsDir };
  let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
  if (!noServer) {
    const cli = await resolveTemporalCli({ allowDownload: false });
    if (cli.source === 'sdk-download') throw new Error('unreachable');
    const started = Date.now();
    server = await startDevServer({
      cliPath: cli.path,
      searchAttributes: SEARCH_ATTRIBUTES,
      logFile: path.join(resultsDir, 'temporal-dev-server.log'),
    });
    console.log(
      `Temporal dev server ready at ${server.address} in ${Date.now() - started} ms (${cliVersion(cli.path)}, from ${cli.source})`,
    );
    env.TEMPORAL_TEST_ADDRESS = server.address;
    env.TEMPORAL_TEST_NAMESPACE = server.namespace;
  }

  const stopServer = async () => {
    await server?.stop();
    server = undefined;
  };
  process.once('SIGINT', () => void stopServer().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stopServer().then(() => process.exit(143)));

  try {
    const code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--test',
          `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`,
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          '--test-reporter=junit',
          `--test-reporter-destination=${path.join(resultsDir, 'junit.xml')}`,
          ...files,
        ],
        { cwd: PROJECT_ROOT, env, stdio: 'inherit' },
      );
      child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    });
    return code;
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
