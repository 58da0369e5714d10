import * as wf from '@temporalio/workflow';
import {
  TASK_PRIORITY,
  apiTaskQueue,
  DEFAULT_WATCH_FLOOR_MS,
  parseWatchRequest,
  DEFAULT_TENANT,
  TENANT_NAME,
  WATCHER_ID_PREFIX,
  watchSignal,
  type ActionFinalDelivery,
  type WatcherState,
  type WatchEntry,
} from '../../contract/index.js';
import { continuedAsNew } from '../continued-run.js';
import { ignoreUnknownSignals } from '../unknown-signals.js';
import type { ApiActivities, LocalActivities } from '../../activities/index.js';
import { publishEnded, republishEnded } from './ended-memo.js';
import { WatchList } from './watch-list.js';

const PAGE_SIZE = 10_000;
const IDLE_BEFORE_EXIT = '1h';
const MAX_HISTORY_EVENTS = 5_000;
/** Registrations a run takes before it continues as new: the server caps the signals one run may receive. */
const MAX_WATCH_SIGNALS_PER_RUN = 500;
/** Nudges sent per activity: its input stays small, and its start-to-close ample. */
const DELIVERY_BATCH = 500;

/**
 * The nudges go out from an activity scheduled in the same workflow task that writes the outcomes to the memo: by the
 * time a release is nudged, what it will read is there. One activity per batch rather than a signal command per
 * release, which would cost the watcher two history events and a workflow task each.
 */
const { notifySubscribers } = wf.proxyActivities<LocalActivities>({
  summary: 'Nudge the releases whose actions ended',
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '5m',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * Follows every machine action that releases of one tenant wait on, with one list call per tick (per 10,000 actions)
 * instead of one GET per action per tick, and tells each release once its action is final. Started by the first
 * release that needs it (signal-with-start), ends after an hour with nothing to watch, continues-as-new as history grows.
 */
export async function machineActionWatcher(state: WatcherState): Promise<void> {
  if (!ownsItsId(state)) return;
  // What a run carries over comes from an earlier run; a starter's is not taken (releases start it with nothing).
  const continued = continuedAsNew();
  const ended = continued && Array.isArray(state?.ended) ? state.ended : [];
  const watching = new WatchList(continued ? carriedOver(state) : [], ended, DEFAULT_WATCH_FLOOR_MS);
  // The starter's floor holds until the first look, which brings the floor of the tenant's worker.
  watching.setFloor(state?.floorMs);
  republishEnded(watching.ended);
  let signals = 0;
  wf.setHandler(watchSignal, (request: unknown) => {
    signals += 1;
    register(watching, request);
  });
  // Every signal counts against the server's cap, junk included: the run moves on before registrations are refused.
  ignoreUnknownSignals(() => (signals += 1));
  const calls = wf.proxyActivities<ApiActivities>({
    taskQueue: apiTaskQueue(wf.workflowInfo().taskQueue, state.tenant),
    summary: 'List recent isolation actions for the watched releases',
    // Ahead of a batch's calls: each look ends releases, which frees the batch's window.
    priority: { priorityKey: TASK_PRIORITY.confirmation },
    startToCloseTimeout: '60s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
  });

  for (;;) {
    if (!(await somethingToWatch(watching))) return;
    // Registrations past the run's share wake it at once: the server caps the signals one run may take.
    const full = await wf.condition(() => signals >= MAX_WATCH_SIGNALS_PER_RUN, watching.nextPollMs(Date.now()), {
      summary: 'next look at the watched actions',
    });
    if (!full) await look(watching, calls);
    if (full || timeToMoveOn()) {
      await wf.condition(wf.allHandlersFinished);
      await continueOnCurrentBuild({ ...watching.toState(), tenant: state.tenant });
    }
  }
}

/** One look: drops what nobody can be waiting on, lists the tenant's recent isolation actions, tells who waited. */
async function look(watching: WatchList, calls: wf.ActivityInterfaceFor<ApiActivities>): Promise<void> {
  const { dropped, expired } = watching.prune(Date.now());
  publishEnded([], expired);
  if (dropped.length > 0) {
    wf.log.warn('Dropped actions no list call showed', { actionIds: dropped.slice(0, 20).map((d) => d.actionId) });
    // Their releases find no record when nudged and register again: a real action the list lagged on is not lost.
    await deliver(dropped.flatMap((d) => d.subscribers.map((subscriber) => ({ subscriber, actionId: d.actionId }))));
  }
  if (watching.size === 0) return;
  const { since, watched } = watching.targets(Date.now());
  for (let skip = 0; ; skip += PAGE_SIZE) {
    const page = await calls.checkWatchedActions({ since, watched, skip, pageSize: PAGE_SIZE });
    watching.markSeen(page.seen);
    watching.setFloor(page.floorMs);
    const { recorded, deliveries } = watching.take(page.finals, Date.now());
    publishEnded(recorded);
    await deliver(deliveries);
    if (!page.pageFull) break;
  }
}

/**
 * A watcher's id ends with the tenant it serves, and releases find it by that id: a run started for a named tenant
 * its id does not name (by hand, by mistake) would spend that tenant's budget on another's releases, so it ends.
 */
function ownsItsId(state: WatcherState | undefined): boolean {
  const { workflowId } = wf.workflowInfo();
  const tenant = state?.tenant ?? null;
  const named = tenant !== null && tenant !== DEFAULT_TENANT;
  const fits = !named || (TENANT_NAME.test(tenant) && workflowId.endsWith(`-${tenant}`));
  if (workflowId.startsWith(WATCHER_ID_PREFIX) && fits) return true;
  wf.log.error('A watcher must run under the id of its tenant; this run ends', {
    workflowId: workflowId.slice(0, 300),
  });
  return false;
}

/** A `watch` is a claim from anyone with client access: held to the contract, or dropped with a warning. */
function register(watching: WatchList, input: unknown): void {
  const request = parseWatchRequest(input);
  if (!request.ok) {
    wf.log.warn('Ignored a watch request', { reason: request.reason });
    return;
  }
  if (watching.add(request.value, Date.now()) === 'full') {
    wf.log.warn('Ignored a watch request: the watch list is full', { actionId: request.value.actionId });
  }
}

/** The entries the previous run carried over: each held to the same rules as a `watch`, its time no later than now. */
function carriedOver(state: WatcherState | undefined): WatchEntry[] {
  const entries = Array.isArray(state?.watched) ? state.watched : [];
  const now = Date.now();
  return entries.flatMap((entry) => {
    const subscribers = Array.isArray(entry?.subscribers) ? entry.subscribers.slice(0, 50) : [];
    const parsed = subscribers.map((subscriber: unknown) => parseWatchRequest({ ...entry, subscriber }));
    const first = parsed[0];
    if (!first?.ok || parsed.some((p) => !p.ok)) return [];
    const added = typeof entry.addedAt === 'number' && Number.isFinite(entry.addedAt) ? entry.addedAt : now;
    return [{ ...first.value, subscribers, addedAt: Math.min(added, now), seen: entry.seen === true }];
  });
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

async function deliver(deliveries: ActionFinalDelivery[]): Promise<void> {
  for (let i = 0; i < deliveries.length; i += DELIVERY_BATCH) {
    try {
      const { gone } = await notifySubscribers({ deliveries: deliveries.slice(i, i + DELIVERY_BATCH) });
      // Ended meanwhile (cancelled, deadline) or refusing signals: not told. The outcomes stay on record.
      if (gone.length > 0) wf.log.info('Subscribers not told', { subscribers: gone.slice(0, 20), count: gone.length });
    } catch (err) {
      // Nudging never holds the watcher: releases not told register again and are told on a later look.
      wf.log.warn('Nudges not sent', { error: String(err).slice(0, 300) });
    }
  }
}
