import { Context } from '@temporalio/activity';
import type { WatchRequest } from '../workflows/watcher-definitions.js';
import { watchSignal, WATCHER_WORKFLOW_TYPE, watcherWorkflowId } from '../workflows/watcher-definitions.js';

/** Local activities that talk to Temporal, not to Defender. */
export const watcherActivities = {
  /** Registers an action with the tenant's watcher, starting the watcher if it is not running. */
  async watchMachineAction(input: { taskQueue: string; tenant?: string | null; request: WatchRequest }): Promise<void> {
    const client = Context.current().client;
    const tenant = input.tenant ?? null;
    await client.workflow.signalWithStart(WATCHER_WORKFLOW_TYPE, {
      workflowId: watcherWorkflowId(input.taskQueue, tenant),
      taskQueue: input.taskQueue,
      args: [tenant ? { watched: [], tenant } : { watched: [] }],
      signal: watchSignal,
      signalArgs: [input.request],
      staticSummary: `Follows the machine actions of pending releases${tenant ? ` of tenant ${tenant}` : ''} with batched list calls`,
    });
  },
};

export type WatcherActivities = typeof watcherActivities;
