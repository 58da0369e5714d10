import * as wf from '@temporalio/workflow';
import { apiTaskQueue } from '../../contract/index.js';
import type { ApiActivities, LocalActivities } from '../../activities/index.js';

/** The batch's Defender calls, one per activity on the tenant's rate-limited API task queue. */
export function batchCalls(tenant: string | null): ApiActivities {
  return wf.proxyActivities<ApiActivities>({
    taskQueue: apiTaskQueue(wf.workflowInfo().taskQueue, tenant),
    startToCloseTimeout: '60s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m' },
  });
}

/** Validation, the target digest and the lookups of releases: local, no Defender call. */
export const local = wf.proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});
