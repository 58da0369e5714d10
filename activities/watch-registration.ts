import type { Client } from '@temporalio/client';
import { watcherWorkflowId, watchSignal, WATCHER_WORKFLOW_TYPE, type WatchRequest } from '../contract/index.js';

/** Where a release's action is registered: the tenant's watcher on the release's workflow task queue. */
export interface WatchRegistration {
  /** The release's workflow task queue (the watcher runs there), not an API task queue. */
  taskQueue: string;
  tenant: string | null;
  /** The tenant's budget as an interval, for a watcher this registration starts. */
  floorMs: number;
  request: WatchRequest;
}

/**
 * Registers an action with the tenant's watcher, starting the watcher if it is not running. Idempotent: the watcher
 * keeps one entry per action and each subscriber once, so registering twice changes nothing.
 */
export async function registerWithWatcher(client: Client, registration: WatchRegistration): Promise<void> {
  const { taskQueue, tenant, floorMs, request } = registration;
  await client.workflow.signalWithStart(WATCHER_WORKFLOW_TYPE, {
    workflowId: watcherWorkflowId(taskQueue, tenant),
    taskQueue,
    args: [{ watched: [], tenant, floorMs }],
    signal: watchSignal,
    signalArgs: [request],
    staticSummary: `Follows the machine actions of pending releases${tenant ? ` of tenant ${tenant}` : ''} with batched list calls`,
  });
}
