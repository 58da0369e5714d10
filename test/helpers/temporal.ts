import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
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

/**
 * The one dev server `npm test` started for this run. Test files must not start their own, and must not silently skip
 * when there is none: a run without a Temporal server is a broken run.
 */
export async function connectTestEnvironment(): Promise<TestWorkflowEnvironment> {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) {
    throw new Error(
      'TEMPORAL_TEST_ADDRESS is not set: run workflow tests through `npm test`, which starts the dev server',
    );
  }
  installTestRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({
    address,
    namespace: process.env.TEMPORAL_TEST_NAMESPACE ?? 'default',
  });
}

export function uniqueTaskQueue(name: string): string {
  return `${name}-${Math.random().toString(36).slice(2, 10)}`;
}
