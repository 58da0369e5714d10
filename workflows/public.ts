/**
 * `defender-isolation/workflows`: what a playbook workflow needs to run a release as a child workflow. Workflow-safe:
 * it imports only `@temporalio/workflow` and the contract.
 *
 *   import { releaseMachine, releaseWorkflowId, ReleaseFailureType } from 'defender-isolation/workflows';
 *   const result = await executeChild(releaseMachine, { workflowId: releaseWorkflowId(id), args: [request] });
 */
export { releaseMachine } from './release/release-machine.js';
export { bulkRelease } from './bulk/bulk-release.js';
export * from '../contract/index.js';
