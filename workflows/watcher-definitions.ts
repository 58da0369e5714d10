/** Messages between releases and the tenant's machine-action watcher. */
import { defineSignal } from '@temporalio/workflow';
import type { ActionOutcome, WatchedAction } from '../activities/types.js';

export const WATCHER_WORKFLOW_TYPE = 'machineActionWatcher';

/** The tenant of releases that name none: the worker's `DEFENDER_*` credentials. */
export const DEFAULT_TENANT = 'default';

export interface WatchRequest extends WatchedAction {
  /** The workflow to signal when the action is final. */
  subscriber: string;
  pollIntervalMs: number;
}

export interface WatcherState {
  watched: (WatchedAction & { subscribers: string[]; pollIntervalMs: number })[];
  /** Absent in watchers started before multi-tenant support: the default tenant. */
  tenant?: string | null;
}

/** Sent to the watcher (with signal-with-start) by a release that has an action to follow. */
export const watchSignal = defineSignal<[WatchRequest]>('watch');
/** Sent by the watcher to each subscriber once its action is final. */
export const actionFinalSignal = defineSignal<[ActionOutcome]>('machineActionFinal');

const isNamedTenant = (tenant: string | null | undefined): tenant is string =>
  tenant !== undefined && tenant !== null && tenant !== DEFAULT_TENANT;

/** One watcher per workflow task queue and Defender tenant. */
export function watcherWorkflowId(taskQueue: string, tenant?: string | null): string {
  return `defender-action-watcher-${taskQueue}${isNamedTenant(tenant) ? `-${tenant}` : ''}`;
}

/**
 * Defender activities run on a task queue per tenant, whose server-side rate limit is that tenant's API budget. The
 * default tenant keeps the name it had before tenants existed, so running releases find their queue.
 */
export function apiTaskQueue(taskQueue: string, tenant?: string | null): string {
  return `${taskQueue}-api${isNamedTenant(tenant) ? `-${tenant}` : ''}`;
}
