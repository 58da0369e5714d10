import { createDefenderActivities, type DefenderActivityDeps } from './defender-activities.js';
import { createBulkApiActivities, createBulkLocalActivities } from './bulk-activities.js';
import { createValidationActivities, type TenantDirectory } from './validation-activities.js';
import { watcherActivities } from './watcher-activities.js';

export type { DefenderActivityDeps } from './defender-activities.js';
export type { TenantDirectory } from './validation-activities.js';

/** Activities that call Defender: they run on a tenant's rate-limited API task queue. */
export function createApiActivities(deps: DefenderActivityDeps) {
  return { ...createDefenderActivities(deps), ...createBulkApiActivities(deps) };
}

/** Local activities of the workflow worker: validation and talking to Temporal, never to Defender. */
export function createLocalActivities(directory?: TenantDirectory) {
  return { ...createValidationActivities(directory), ...watcherActivities, ...createBulkLocalActivities(directory) };
}

/**
 * Every activity of the workflow worker: the local ones and, bound to the default tenant's client, the Defender
 * activities that releases started before the API task queue existed still schedule on the workflow task queue.
 */
export function createActivities(deps: Partial<DefenderActivityDeps> & { tenants?: TenantDirectory } = {}) {
  return {
    ...(deps.defender ? createDefenderActivities({ ...deps, defender: deps.defender }) : {}),
    ...createLocalActivities(deps.tenants),
  };
}

export type ReleaseActivities = ReturnType<typeof createDefenderActivities> & ReturnType<typeof createLocalActivities>;
