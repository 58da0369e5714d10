/** Messages between releases and their tenant's machine-action watcher. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ActionOutcome, WatchedAction } from './machine-actions.js';

export const WATCHER_WORKFLOW_TYPE = 'machineActionWatcher';

export interface WatchRequest extends WatchedAction {
  /** The workflow to tell when the action is final. */
  subscriber: string;
  pollIntervalMs: number;
}

/** A watched action, as the watcher keeps it (and carries across continue-as-new). */
export interface WatchEntry extends WatchedAction {
  subscribers: string[];
  pollIntervalMs: number;
  /** When the watcher took it (workflow time, ms). */
  addedAt: number;
  /** Whether a list call has shown the action: one never shown is dropped after a while. */
  seen: boolean;
}

/** An action the watcher saw end, kept a while so that its subscribers can check what they were told. */
export interface EndedAction {
  outcome: ActionOutcome;
  endedAt: number;
}

/** The watcher's input: what it watches and has seen end (carried across continue-as-new), for which tenant. */
export interface WatcherState {
  watched: WatchEntry[];
  ended?: EndedAction[];
  /** Null for the default tenant. */
  tenant: string | null;
  /** The tenant's hourly budget as an interval: the watcher never polls more often (at least 1 s). */
  floorMs?: number;
}

/** Sent to the watcher (with signal-with-start) by a release that has an action to follow. */
export const watchSignal = defineSignal<[WatchRequest]>('watch');

/** Sent by the watcher to each subscriber once its action is final. */
export const actionFinalSignal = defineSignal<[ActionOutcome]>('machineActionFinal');

/** What the watcher knows of one action, from its own Defender reads only (for operators: `temporal workflow query`). */
export type WatchedActionView =
  | { state: 'watching' }
  | { state: 'final'; outcome: ActionOutcome }
  /** Not watched, and not seen ending lately. */
  | { state: 'unknown' };
export const watchedActionQuery = defineQuery<WatchedActionView, [{ actionId: string }]>('watchedAction');

/** One release to tell that its action is final. */
export interface ActionFinalDelivery {
  subscriber: string;
  outcome: ActionOutcome;
}
