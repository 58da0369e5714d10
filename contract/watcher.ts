/** Messages between releases and their tenant's machine-action watcher. */
import { defineSignal } from '@temporalio/workflow';
import type { ActionOutcome, WatchedAction } from './machine-actions.js';

export const WATCHER_WORKFLOW_TYPE = 'machineActionWatcher';

export interface WatchRequest extends WatchedAction {
  /** The workflow to signal when the action is final. */
  subscriber: string;
  pollIntervalMs: number;
}

/** The watcher's input: what it watches (carried across continue-as-new) and for which tenant. */
export interface WatcherState {
  watched: (WatchedAction & { subscribers: string[]; pollIntervalMs: number })[];
  /** Null for the default tenant. */
  tenant: string | null;
}

/** Sent to the watcher (with signal-with-start) by a release that has an action to follow. */
export const watchSignal = defineSignal<[WatchRequest]>('watch');
/** Sent by the watcher to each subscriber once its action is final. */
export const actionFinalSignal = defineSignal<[ActionOutcome]>('machineActionFinal');

/** One release to tell that its action is final. */
export interface ActionOutcomeDelivery {
  subscriber: string;
  outcome: ActionOutcome;
}
