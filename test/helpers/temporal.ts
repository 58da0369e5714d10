import { DefaultLogger, Runtime } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';

let installed = false;

/** Only errors from the SDK in test output; installed once per test process (each test file runs in its own process). */
export function installTestRuntime(): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  installed = true;
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
