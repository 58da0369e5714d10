/** Messages between releases and their tenant's machine-action watcher. */
import { defineSignal } from '@temporalio/workflow';
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

/**
 * Sent by the watcher to each subscriber once its action is final: a nudge with the action id only. The release reads
 * the outcome from the watcher's memo, which only the watcher writes, from its own Defender reads.
 */
export interface ActionFinalNotice {
  actionId: string;
}
export const actionFinalSignal = defineSignal<[ActionFinalNotice]>('machineActionFinal');

/** The watcher's memo holds the outcomes it read lately, each under `ended:<action id>` (visible in the Temporal UI). */
export const ENDED_MEMO_PREFIX = 'ended:';

/** One outcome in the watcher's memo, stamped with the run that wrote it: a starter's memo carries no run of ours. */
export interface EndedRecord {
  run: string;
  outcome: ActionOutcome;
}

/** One release to tell that its action is final. */
export interface ActionFinalDelivery {
  subscriber: string;
  actionId: string;
}
