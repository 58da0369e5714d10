import * as wf from '@temporalio/workflow';
import { TASK_PRIORITY, apiTaskQueue } from '../../contract/index.js';
import type { ApiActivities, LocalActivities } from '../../activities/index.js';

/**
 * The batch's Defender calls, one per activity on the tenant's rate-limited API task queue, behind single releases and
 * confirmations: nobody waits on one machine of many.
 */
export function batchCalls(tenant: string | null): ApiActivities {
  return wf.proxyActivities<ApiActivities>({
    taskQueue: apiTaskQueue(wf.workflowInfo().taskQueue, tenant),
    priority: { priorityKey: TASK_PRIORITY.batch },
    startToCloseTimeout: '60s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m' },
  });
}

/** Validation and the target digest: local, no Defender call. */
export const local = wf.proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/**
 * Look-ups of releases in Temporal, no Defender call. An activity, not a local one: they run beside the window's
 * reads and child starts, and an activity's result has its own place in history, so a replay meets it where the run
 * did.
 */
export const lookups = wf.proxyActivities<LocalActivities>({
  summary: 'Look up how releases ended',
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});
