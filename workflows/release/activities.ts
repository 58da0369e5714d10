import * as wf from '@temporalio/workflow';
import { TASK_PRIORITY, apiTaskQueue, type ValidatedReleaseRequest } from '../../contract/index.js';
import type { ApiActivities, LocalActivities } from '../../activities/index.js';

/**
 * A release's Defender calls: activities on its tenant's API task queue, each call reserved with the tenant's call
 * ledger, each attempt short, retried with backoff until `withinMs`. A single release's calls go
 * before a batch's, so that one waited for does not queue behind a batch's backlog.
 */
export function defenderCalls(
  request: ValidatedReleaseRequest,
  options: { summary: string; withinMs?: number; nonRetryable?: readonly string[] },
): ApiActivities {
  return wf.proxyActivities<ApiActivities>({
    summary: options.summary,
    taskQueue: apiTaskQueue(wf.workflowInfo().taskQueue, request.tenant),
    priority: { priorityKey: isBatchChild(request) ? TASK_PRIORITY.batch : TASK_PRIORITY.singleRelease },
    startToCloseTimeout: '60s',
    scheduleToCloseTimeout: options.withinMs ?? request.deadlineMs,
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '2m',
      ...(options.nonRetryable ? { nonRetryableErrorTypes: [...options.nonRetryable] } : {}),
    },
  });
}

/**
 * A batch hands each release it starts what it read of the machine, and validation takes that only from a bulk release
 * that is the release's parent (activities/parent-batch.ts): a request with it is a batch's.
 */
export function isBatchChild(request: ValidatedReleaseRequest): boolean {
  return request.precheck !== null;
}

/** Validation (the workflows' first step): its failures are the request's, so a few attempts are enough. */
export const validation = wf.proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
});

/** Reads of the tenant watcher's record: retried until Temporal answers. */
export const watcherMessages = wf.proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});

/** Registrations with the tenant's watcher: retried within what is left of the deadline. */
export function registrations(withinMs: number) {
  return wf.proxyLocalActivities<LocalActivities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: withinMs,
    retry: { initialInterval: '1s', maximumInterval: '10s' },
  });
}
