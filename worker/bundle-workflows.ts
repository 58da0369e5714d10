/**
 * `npm run bundle:workflows [-- <file>]`: bundles the release workflows once, at build time, into one file (default
 * `.cache/workflow-bundle.js`). A worker started with `WORKFLOW_BUNDLE_PATH=<file>` loads it instead of running webpack
 * at start: faster start, and about 100 MB less worker memory (docs/performance.md). Rebuild it with the code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { PROJECT_ROOT, WORKFLOWS_PATH } from './paths.js';

export const DEFAULT_BUNDLE_PATH = path.join(PROJECT_ROOT, '.cache', 'workflow-bundle.js');

/** For bundling where webpack's progress lines would only be noise (builds, tests, benchmarks). */
export const QUIET_BUNDLER_LOGGER: NonNullable<BundleOptions['logger']> = {
  log() {},
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
};

/** Writes the release workflows' bundle (or, with `options`, e.g. a worker's own workflows plus a plugin's) to `file`. */
export async function writeWorkflowBundle(
  file = DEFAULT_BUNDLE_PATH,
  options: Pick<BundleOptions, 'workflowsPath' | 'plugins'> = { workflowsPath: WORKFLOWS_PATH },
): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...options, logger: QUIET_BUNDLER_LOGGER });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
  return file;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = await writeWorkflowBundle(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(`Workflow bundle written to ${file}; start the worker with WORKFLOW_BUNDLE_PATH=${file}`);
}
