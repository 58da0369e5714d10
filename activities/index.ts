import { createDefenderActivities, type DefenderActivityDeps } from './defender-activities.js';
import { bulkLocalActivities, createBulkApiActivities } from './bulk-activities.js';
import { validationActivities } from './validation-activities.js';
import { watcherActivities } from './watcher-activities.js';

export type { DefenderActivityDeps } from './defender-activities.js';

/** Activities that call Defender: they run on the rate-limited API task queue. */
export function createApiActivities(deps: DefenderActivityDeps) {
  return { ...createDefenderActivities(deps), ...createBulkApiActivities(deps) };
}

/** Local activities of the workflow worker: validation and talking to Temporal, never to Defender. */
export const localActivities = { ...validationActivities, ...watcherActivities, ...bulkLocalActivities };

/** Every activity the release workflows use, bound to one Defender client. */
export function createActivities(deps: DefenderActivityDeps) {
  return { ...createDefenderActivities(deps), ...localActivities };
}

export type ReleaseActivities = ReturnType<typeof createActivities>;
