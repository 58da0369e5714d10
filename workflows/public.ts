/**
 * `defender-isolation/workflows`: what a playbook workflow needs to run a release as a child workflow. Imports only
 * `@temporalio/workflow`, so it is safe in workflow code.
 *
 *   import { releaseMachine, releaseWorkflowId, ReleaseFailureType } from 'defender-isolation/workflows';
 *   const result = await executeChild(releaseMachine, { workflowId: releaseWorkflowId(id), args: [request] });
 */
export { releaseMachine } from './release-machine.js';
export { bulkRelease } from './bulk-release.js';
export * from './definitions.js';
export * from './bulk-definitions.js';
export { DefenderMachineIdAttribute, IncidentIdAttribute, ReleaseStateAttribute } from './search-attributes.js';
export { DEFAULT_TENANT } from './watcher-definitions.js';
