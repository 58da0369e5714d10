// The worker's workflowsPath: workflow functions only.
export { releaseMachine } from './release-machine.js';
