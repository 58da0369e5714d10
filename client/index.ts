/**
 * `defender-isolation`: client helpers for playbooks and services that start and steer releases through a Temporal
 * Client, with the public contract (types, message definitions, failure types).
 */
export {
  approveRelease,
  cancelRelease,
  getReleaseStatus,
  InvalidReleaseRequestError,
  rejectRelease,
  releaseTarget,
  ReleaseUpdateRefusedError,
  startRelease,
  waitForRelease,
  type ReleaseHandle,
  type StartedRelease,
  type StartReleaseOptions,
} from './release-client.js';
export {
  approveBulkRelease,
  createBulkSchedule,
  getBulkProgress,
  scheduledBulkRequest,
  startBulkRelease,
  type BulkScheduleOptions,
} from './bulk-client.js';
export { parseReleaseRequest } from '../activities/release-request.js';
export { parseBulkRequest } from '../activities/bulk-request.js';
export * from '../workflows/definitions.js';
export * from '../workflows/bulk-definitions.js';
export {
  DefenderMachineIdAttribute,
  IncidentIdAttribute,
  ReleaseStateAttribute,
} from '../workflows/search-attributes.js';
