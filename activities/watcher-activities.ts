import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { mapConcurrently } from './concurrently.js';
import type { ActionOutcome } from './types.js';
import type { WatchRequest } from '../workflows/watcher-definitions.js';
import {
  actionFinalSignal,
  watchSignal,
  WATCHER_WORKFLOW_TYPE,
  watcherWorkflowId,
} from '../workflows/watcher-definitions.js';

export interface ActionOutcomeDelivery {
  subscriber: string;
  outcome: ActionOutcome;
}

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

  /**
   * Tells each subscriber that its action is final. From the watcher, as one local activity per batch rather than one
   * signal command per release: a signal command costs the watcher two history events and a workflow task each, and
   * serialises every release's delivery on the watcher's history. A retry may signal a release twice; releases ignore
   * an outcome they already have, and one that ended meanwhile has nobody to tell.
   */
  async deliverActionOutcomes(input: { deliveries: ActionOutcomeDelivery[] }): Promise<{ gone: string[] }> {
    const client = Context.current().client;
    const gone: string[] = [];
    await mapConcurrently(input.deliveries, async ({ subscriber, outcome }) => {
      try {
        // No run id: the release may have continued or been reset; its handler checks the action id.
        await client.workflow.getHandle(subscriber).signal(actionFinalSignal, outcome);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        gone.push(subscriber);
      }
    });
    return { gone };
  },
};

export type WatcherActivities = typeof watcherActivities;
