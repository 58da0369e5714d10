// The worker's workflowsPath: workflow functions only.
export { releaseMachine } from './release/release-machine.js';
export { bulkRelease } from './bulk/bulk-release.js';
export { machineActionWatcher } from './watcher/machine-action-watcher.js';
export { defenderRateBudget } from './budget/rate-budget.js';
