/**
 * `defender-isolation`: client helpers for playbooks and services that start and steer releases through a Temporal
 * Client, with the public contract (types, message definitions, failure types) and the schemas that parse it.
 */
export {
  approveRelease,
  cancelRelease,
  getReleaseStatus,
  rejectRelease,
  releaseTarget,
  ReleaseUpdateRefusedError,
  startRelease,
  waitForApproval,
  waitForRelease,
  type ReleaseHandle,
  type StartedRelease,
  type StartReleaseOptions,
} from './release-client.js';
export { DEFAULT_ANSWER_TIMEOUT_MS, type WaitOptions } from './release-waits.js';
export {
  ReleaseClientError,
  ReleaseTimeoutError,
  SearchAttributesMissingError,
  TaskQueueMismatchError,
  TaskQueueNotServedError,
} from './release-errors.js';
export { releaseTaskQueue } from './task-queue.js';
export {
  approveBulkRelease,
  createBulkSchedule,
  getBulkProgress,
  scheduledBulkRequest,
  startBulkRelease,
  type BulkScheduleOptions,
} from './bulk-client.js';
export { InvalidReleaseRequestError, parseBulkRequest, parseReleaseRequest } from '../contract/schemas/index.js';
export * from '../contract/index.js';
