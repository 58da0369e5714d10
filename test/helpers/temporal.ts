import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../contract/index.js';
import { freePort, startDevServer, type DevServer } from '../../dev/dev-server.js';
import { resolveTemporalCli } from '../../dev/temporal-cli.js';
import { installWorkerRuntime } from '../../worker/runtime.js';

let installed = false;

export const RESULTS_DIR = process.env.TEST_RESULTS_DIR ?? path.resolve('test-results');

/**
 * Installed once per test process (each test file runs in its own process). Every SDK log line of the run goes to
 * test-results/logs/, where the secret scan reads it; only errors reach the console.
 */
export function installTestRuntime(options: { metricsBindAddress?: string } = {}): string {
  const logDir = path.join(RESULTS_DIR, 'logs');
  const logFile = path.join(logDir, `worker-${process.pid}.log`);
  if (installed) return logFile;
  mkdirSync(logDir, { recursive: true });
  // The worker's own JSON log format, so that tests read what operators read.
  installWorkerRuntime({
    log: { format: 'json', level: 'DEBUG' },
    metricsBindAddress: options.metricsBindAddress,
    write: (line) => {
      appendFileSync(logFile, `${line}\n`);
      if (line.includes('"level":"ERROR"')) console.error(line);
    },
  });
  installed = true;
  return logFile;
}

let ownServer: Promise<DevServer> | undefined;

/**
 * The dev server of the run (also put in TEMPORAL_TEST_ADDRESS): the one `npm test` started, or — for a file run on its own — one of this process's,
 * stopped when it exits. Never none: a run without a Temporal server is a broken run, not a skipped one.
 */
export async function testServer(): Promise<{ address: string; namespace: string; uiUrl: string | undefined }> {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (address) {
    return {
      address,
      namespace: process.env.TEMPORAL_TEST_NAMESPACE ?? 'default',
      uiUrl: process.env.TEMPORAL_TEST_UI_URL,
    };
  }
  ownServer ??= (async () => {
    const server = await startDevServer({
      cliPath: resolveTemporalCli().path,
      uiPort: await freePort(),
      searchAttributes: SEARCH_ATTRIBUTES,
    });
    process.once('exit', () => server.process.kill('SIGKILL'));
    // Files that read the address from the environment (child processes, the CLI) find it there.
    process.env.TEMPORAL_TEST_ADDRESS = server.address;
    process.env.TEMPORAL_TEST_NAMESPACE = server.namespace;
    if (server.uiUrl) process.env.TEMPORAL_TEST_UI_URL = server.uiUrl;
    return server;
  })();
  const server = await ownServer;
  return { address: server.address, namespace: server.namespace, uiUrl: server.uiUrl };
}

/** A test environment on the run's dev server. */
export async function connectTestEnvironment(): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const { address, namespace } = await testServer();
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace });
}

export function uniqueTaskQueue(name: string): string {
  return `${name}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * The workflows as `npm test` bundled them once for the whole run, for workers a test creates: bundling is seconds
 * of CPU per worker. A file run on its own has none, and its workers bundle the workflows themselves.
 */
export function prebuiltWorkflows(): { workflowBundle: { codePath: string } } | Record<string, never> {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  return codePath && existsSync(codePath) ? { workflowBundle: { codePath } } : {};
}
