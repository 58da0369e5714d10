import * as wf from '@temporalio/workflow';
import { apiTaskQueue, watchSignal, type ActionOutcomeDelivery, type WatcherState } from '../../contract/index.js';
import type { ApiActivities, LocalActivities } from '../../activities/index.js';
import { WatchList } from './watch-list.js';

const PAGE_SIZE = 10_000;
const IDLE_BEFORE_EXIT = '1h';
const MAX_HISTORY_EVENTS = 5_000;
/** Outcomes delivered per local activity: its marker stays small, and its start-to-close ample. */
const DELIVERY_BATCH = 500;

const { deliverActionOutcomes } = wf.proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * Follows every machine action that releases of one tenant wait on, with one list call per tick (per 10,000 actions)
 * instead of one GET per action per tick, and tells each release once its action is final. Started by the first
 * release that needs it (signal-with-start), ends after an hour with nothing to watch, continues-as-new as history grows.
 */
export async function machineActionWatcher(state: WatcherState): Promise<void> {
  const watching = new WatchList(state.watched);
  wf.setHandler(watchSignal, (request) => watching.add(request));
  const { checkWatchedActions } = wf.proxyActivities<ApiActivities>({
    taskQueue: apiTaskQueue(wf.workflowInfo().taskQueue, state.tenant),
    summary: 'List recent isolation actions for the watched releases',
    startToCloseTimeout: '60s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
  });

  for (;;) {
    if (!(await somethingToWatch(watching))) return;
    await wf.sleep(watching.nextPollMs(), { summary: 'next look at the watched actions' });
    const { since, watched } = watching.targets();
    for (let skip = 0; ; skip += PAGE_SIZE) {
      const page = await checkWatchedActions({ since, watched, skip, pageSize: PAGE_SIZE });
      await deliver(watching.take(page.finals));
      if (!page.pageFull) break;
    }
    if (timeToMoveOn()) {
      await wf.condition(wf.allHandlersFinished);
      await continueOnCurrentBuild({ watched: watching.toState(), tenant: state.tenant });
    }
  }
}

/** History is growing, or (Worker Versioning) a new build is current: the next run takes over. */
function timeToMoveOn(): boolean {
  const info = wf.workflowInfo();
  return (
    info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS || info.targetWorkerDeploymentVersionChanged
  );
}

/**
 * The watcher is pinned to its build like every workflow of the worker, but lives as long as releases keep coming:
 * each run moves to the build that is current when it continues as new, so it never replays other code.
 */
async function continueOnCurrentBuild(next: WatcherState): Promise<never> {
  const versioned = Boolean(wf.workflowInfo().currentDeploymentVersion?.deploymentName);
  return wf.makeContinueAsNewFunc<typeof machineActionWatcher>(
    versioned ? { initialVersioningBehavior: 'AUTO_UPGRADE' } : {},
  )(next);
}

/** Waits for an action to watch; false once an hour passed with none (the watcher then ends). */
async function somethingToWatch(watching: WatchList): Promise<boolean> {
  if (watching.size > 0) return true;
  if (await wf.condition(() => watching.size > 0, IDLE_BEFORE_EXIT, { summary: 'idle before exit' })) return true;
  // A registration may be in flight: let it land before deciding to end.
  await wf.condition(wf.allHandlersFinished);
  return watching.size > 0;
}

async function deliver(deliveries: ActionOutcomeDelivery[]): Promise<void> {
  for (let i = 0; i < deliveries.length; i += DELIVERY_BATCH) {
    const { gone } = await deliverActionOutcomes({ deliveries: deliveries.slice(i, i + DELIVERY_BATCH) });
    // The release ended meanwhile (cancelled, deadline): nobody to tell.
    if (gone.length > 0) wf.log.info('Subscribers gone', { subscribers: gone });
  }
}
