import { createDefenderActivities, type DefenderActivityDeps } from './defender-activities.js';
import { validationActivities } from './validation-activities.js';

export type { DefenderActivityDeps } from './defender-activities.js';

/** Every activity the release workflows use, bound to one Defender client. */
export function createActivities(deps: DefenderActivityDeps) {
  return { ...createDefenderActivities(deps), ...validationActivities };
}

export type ReleaseActivities = ReturnType<typeof createActivities>;
