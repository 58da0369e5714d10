/**
 * `defender-isolation/worker`: the Temporal plugin and what a worker process needs around it.
 *
 *   Worker.create({ connection, taskQueue, workflowsPath, activities, plugins: [new DefenderIsolationPlugin({ tenants })] })
 */
export {
  DefenderIsolationPlugin,
  PLUGIN_NAME,
  WORKFLOW_NAMES,
  type DefenderIsolationPluginOptions,
  type DefenderTenantOptions,
} from './plugin.js';
export { createReleaseWorkers, type ReleaseWorkerOptions, type ReleaseWorkers } from './worker.js';
export * from './defender.js';
export { ConfigError, loadConfig, type WorkerConfig } from './config.js';
export { loadTenantsFile, type TenantSettings } from './tenants.js';
export { ensureSearchAttributes } from './search-attributes.js';
export { installWorkerRuntime, type RuntimeSettings } from './runtime.js';
export { createLogger, formatJsonLogEntry } from './logging.js';
export { WORKFLOWS_PATH } from './paths.js';
export { createTracingPlugin } from './tracing.js';
