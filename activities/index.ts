import { createApprovalVerification } from './approval-tokens.js';
import { batchLookups } from './batch-lookups.js';
import { createBulkCalls } from './bulk-calls.js';
import type { DefenderCallOptions } from './defender-call.js';
import type { DefenderClient } from './defender/client.js';
import { createReleaseCalls } from './release-calls.js';
import { createValidation, type TenantDirectory } from './validation.js';
import { createWatchCalls } from './watch-calls.js';
import { createWatcherMessages } from './watcher-messages.js';

export type { TenantDirectory } from './validation.js';
export type { TenantApproval, TrustedIssuer } from './approval-tokens.js';

export interface DefenderActivityDeps extends DefenderCallOptions {
  defender: DefenderClient;
  /** The tenant's budget as an interval: how often its watcher may look at most (the watcher takes it from here). */
  watchFloorMs?: number;
}

/** Activities that call Defender, each call reserved with the tenant's call ledger, on the tenant's API task queue. */
export function createApiActivities(deps: DefenderActivityDeps) {
  return { ...createReleaseCalls(deps), ...createWatchCalls(deps), ...createBulkCalls(deps) };
}

/**
 * Local activities of the workflow worker: validation, verifying approval tokens and talking to Temporal, never to
 * Defender.
 */
export function createLocalActivities(directory?: TenantDirectory) {
  return {
    ...createValidation(directory),
    ...createApprovalVerification(directory?.approval),
    ...createWatcherMessages(directory),
    ...batchLookups,
  };
}

export type ApiActivities = ReturnType<typeof createApiActivities>;
export type LocalActivities = ReturnType<typeof createLocalActivities>;
