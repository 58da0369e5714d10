/** Messages between releases and the tenant's machine-action watcher. */
import { defineSignal } from '@temporalio/workflow';
import type { ActionOutcome, WatchedAction } from '../activities/types.js';

export const WATCHER_WORKFLOW_TYPE = 'machineActionWatcher';

export interface WatchRequest extends WatchedAction {
  /** The workflow to signal when the action is final. */
  subscriber: string;
  pollIntervalMs: number;
}

export interface WatcherState {
  watched: (WatchedAction & { subscribers: string[]; pollIntervalMs: number })[];
}

/** Sent to the watcher (with signal-with-start) by a release that has an action to follow. */
export const watchSignal = defineSignal<[WatchRequest]>('watch');
/** Sent by the watcher to each subscriber once its action is final. */
export const actionFinalSignal = defineSignal<[ActionOutcome]>('machineActionFinal');

/** One watcher per workflow task queue (which is per Defender tenant). */
export function watcherWorkflowId(taskQueue: string): string {
  return `defender-action-watcher-${taskQueue}`;
}

/** Defender activities run on their own task queue, whose server-side rate limit is the tenant's API budget. */
export function apiTaskQueue(taskQueue: string): string {
  return `${taskQueue}-api`;
}
