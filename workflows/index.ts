// The worker's workflowsPath: workflow functions only.
export { releaseMachine } from './release-machine.js';
export { machineActionWatcher } from './machine-action-watcher.js';
export { bulkRelease } from './bulk-release.js';
