import * as wf from '@temporalio/workflow';
import type { DefenderActivities } from '../activities/defender-activities.js';
import type { ActionOutcome } from '../activities/types.js';
import type { WatcherActivities } from '../activities/watcher-activities.js';
import { actionFinalSignal, apiTaskQueue, watchSignal, type WatcherState } from './watcher-definitions.js';

const PAGE_SIZE = 10_000;
const IDLE_BEFORE_EXIT = '1h';
const MAX_HISTORY_EVENTS = 5_000;
/** Outcomes delivered per local activity: its marker stays small, and its start-to-close ample. */
const DELIVERY_BATCH = 500;

/**
 * Watchers from this version on deliver outcomes with a local activity per batch rather than a signal command per
 * release (which cost two events and a workflow task each, and made every delivery wait on the watcher's history).
 * Older runs replay the signal commands; a watcher takes the new version when it next continues as new.
 */
const DELIVER_BY_ACTIVITY_PATCH = 'watcher-deliver-by-activity';

const { deliverActionOutcomes } = wf.proxyLocalActivities<WatcherActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * Follows every machine action that releases of one tenant wait on, with one list call per tick (per 10,000 actions)
 * instead of one GET per action per tick, and signals each release once its action is final. Started by the first
 * release that needs it (signal-with-start), ends after an hour with nothing to watch, continues-as-new as history grows.
 */
export async function machineActionWatcher(state: WatcherState = { watched: [] }): Promise<void> {
  const watched = new Map(state.watched.map((w) => [w.actionId, w]));
  wf.setHandler(watchSignal, (request) => {
    const existing = watched.get(request.actionId);
    if (existing) {
      if (!existing.subscribers.includes(request.subscriber)) existing.subscribers.push(request.subscriber);
      existing.pollIntervalMs = Math.min(existing.pollIntervalMs, request.pollIntervalMs);
      return;
    }
    watched.set(request.actionId, {
      actionId: request.actionId,
      machineId: request.machineId,
      createdAt: request.createdAt,
      subscribers: [request.subscriber],
      pollIntervalMs: request.pollIntervalMs,
    });
  });

  const { checkWatchedActions } = wf.proxyActivities<DefenderActivities>({
    taskQueue: apiTaskQueue(wf.workflowInfo().taskQueue, state.tenant),
    summary: 'List recent isolation actions for the watched releases',
    startToCloseTimeout: '60s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
  });

  const deliverByActivity = wf.patched(DELIVER_BY_ACTIVITY_PATCH);

  for (;;) {
    if (watched.size === 0) {
      if (!(await wf.condition(() => watched.size > 0, IDLE_BEFORE_EXIT))) {
        await wf.condition(wf.allHandlersFinished);
        if (watched.size === 0) return;
      }
    }
    const entries = [...watched.values()];
    await wf.sleep(Math.max(1_000, Math.min(...entries.map((w) => w.pollIntervalMs))));

    const since = entries.map((w) => w.createdAt).sort()[0]!;
    const targets = entries.map(({ actionId, machineId, createdAt }) => ({ actionId, machineId, createdAt }));
    for (let skip = 0; ; skip += PAGE_SIZE) {
      const page = await checkWatchedActions({ since, watched: targets, skip, pageSize: PAGE_SIZE });
      if (deliverByActivity) await deliverAll(page.finals);
      else await Promise.all(page.finals.map((outcome) => deliver(outcome)));
      if (!page.pageFull) break;
    }

    const info = wf.workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) {
      await wf.condition(wf.allHandlersFinished);
      await wf.continueAsNew<typeof machineActionWatcher>({
        watched: [...watched.values()],
        ...(state.tenant ? { tenant: state.tenant } : {}),
      });
    }
  }

  async function deliverAll(finals: ActionOutcome[]): Promise<void> {
    const deliveries = finals.flatMap((outcome) => {
      const entry = watched.get(outcome.action.id);
      if (!entry) return [];
      watched.delete(outcome.action.id);
      return entry.subscribers.map((subscriber) => ({ subscriber, outcome }));
    });
    for (let i = 0; i < deliveries.length; i += DELIVERY_BATCH) {
      const { gone } = await deliverActionOutcomes({ deliveries: deliveries.slice(i, i + DELIVERY_BATCH) });
      // The release ended meanwhile (cancelled, deadline): nobody to tell.
      if (gone.length > 0) wf.log.info('Subscribers gone', { subscribers: gone });
    }
  }

  /** Before DELIVER_BY_ACTIVITY_PATCH: one signal command per subscriber. */
  async function deliver(outcome: ActionOutcome): Promise<void> {
    const entry = watched.get(outcome.action.id);
    if (!entry) return;
    watched.delete(outcome.action.id);
    await Promise.all(
      entry.subscribers.map(async (subscriber) => {
        try {
          await wf.getExternalWorkflowHandle(subscriber).signal(actionFinalSignal, outcome);
        } catch (err) {
          // The release ended meanwhile (cancelled, deadline): nobody to tell.
          wf.log.info('Subscriber gone', { subscriber, error: String(err) });
        }
      }),
    );
  }
}
