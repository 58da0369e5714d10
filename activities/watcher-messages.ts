import { Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  actionFinalSignal,
  DEFAULT_TENANT,
  DEFAULT_WATCH_FLOOR_MS,
  watcherWorkflowId,
  type ActionFinalDelivery,
  type WatchRequest,
} from '../contract/index.js';
import { mapConcurrently } from './concurrently.js';
import type { TenantDirectory } from './validation.js';
import { registerWithWatcher } from './watch-registration.js';
import { readWatcherRecord } from './watcher-record.js';

/** Local activities between releases and their tenant's watcher: they talk to Temporal, not to Defender. */
export const createWatcherMessages = (directory?: TenantDirectory) => ({
  /** Registers an action with the tenant's watcher, starting the watcher if it is not running. */
  async watchMachineAction(input: { taskQueue: string; tenant: string | null; request: WatchRequest }): Promise<void> {
    const floorMs = directory?.watchFloorMs?.[input.tenant ?? DEFAULT_TENANT] ?? DEFAULT_WATCH_FLOOR_MS;
    await registerWithWatcher(Context.current().client, { ...input, floorMs });
  },

  /**
   * Nudges each subscriber that its action is final; the release reads the outcome from the watcher's memo. A retry
   * may nudge a release twice, which changes nothing; one that ended meanwhile has nobody to tell.
   */
  async notifySubscribers(input: { deliveries: ActionFinalDelivery[] }): Promise<{ gone: string[] }> {
    const client = Context.current().client;
    const gone: string[] = [];
    await mapConcurrently(input.deliveries, async ({ subscriber, actionId }) => {
      try {
        // No run id: the signal reaches the release's current run; its handler checks the action id.
        await client.workflow.getHandle(subscriber).signal(actionFinalSignal, { actionId });
      } catch (err) {
        // Ended, or refused (a run at the server's signal cap): either way it is not told, and never blocks the
        // others. A release that was not told registers again and is told on the next look.
        if (!(err instanceof WorkflowNotFoundError)) {
          log.warn('A subscriber could not be nudged', {
            subscriber: subscriber.slice(0, 300),
            error: String(err).slice(0, 300),
          });
        }
        gone.push(subscriber);
      }
    });
    return { gone };
  },

  /**
   * The outcome of an action as the tenant's watcher recorded it in its memo, or null: a release's check of a
   * `machineActionFinal` nudge, which anyone could have sent.
   */
  async readWatcherRecord(input: { taskQueue: string; tenant: string | null; actionId: string }) {
    const handle = Context.current().client.workflow.getHandle(watcherWorkflowId(input.taskQueue, input.tenant));
    return readWatcherRecord(handle, input);
  },
});

export type WatcherMessages = ReturnType<typeof createWatcherMessages>;
