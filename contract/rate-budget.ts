/** The tenant's Defender call ledger: one workflow per API task queue that every Defender call reserves against. */
import { defineUpdate } from '@temporalio/workflow';
import { TASK_PRIORITY } from './priority.js';

export const RATE_BUDGET_WORKFLOW_TYPE = 'defenderRateBudget';
export const RATE_BUDGET_ID_PREFIX = 'defender-rate-budget-';

/** The ledger of one API task queue (one tenant): every worker process serving that queue reserves here. */
export function rateBudgetWorkflowId(apiTaskQueue: string): string {
  return `${RATE_BUDGET_ID_PREFIX}${apiTaskQueue}`;
}

/**
 * The ledger keeps a reserve of both windows that only calls of this priority key (or a more urgent one) may use, so
 * that a single release finds room at once while a batch fills the budget.
 */
export const URGENT_PRIORITY = TASK_PRIORITY.singleRelease;
/** Temporal's priority key of a task that sets none. */
export const DEFAULT_PRIORITY = 3;

/** The budget a reservation is counted against: Defender's two windows, as the worker's configuration sets them. */
export interface CallWindows {
  perMinute: number;
  perHour: number;
  /** >1 for a time-compressed simulator: the windows are this many times shorter. */
  timeScale: number;
  /** Fraction of each window to use at most (clock skew between our ledger and Defender's count). */
  headroom: number;
}

export interface ReserveCallsRequest {
  /** Defender calls about to be made, at most `MAX_CALLS_PER_RESERVATION`. */
  calls: number;
  /** The most urgent priority key among the callers (1–5). */
  priority: number;
  windows: CallWindows;
}

export const MAX_CALLS_PER_RESERVATION = 50;

/**
 * How much later than its grant a call may reach Defender: the ledger dates a grant by the start of the workflow task
 * that made it, and the worker answers, the gate hands out and the request travels after that. A grant counts in each
 * window for this much longer, so that Defender's count of a window, which goes by arrival, never holds calls the
 * ledger saw in different windows; the gate does not use a grant that took longer than this less a second to come
 * back, and readies the token before reserving.
 */
export const ARRIVAL_SLACK_MS = 5_000;

/** `granted` calls may be made now; the rest should ask again after `retryAfterMs`. */
export interface ReserveCallsAnswer {
  granted: number;
  retryAfterMs: number;
}

/**
 * Reserves Defender calls. Refused by its validator (nothing reaches history) when no call of that priority fits either
 * window: the failure's details carry `{ retryAfterMs }`.
 */
export const reserveCallsUpdate = defineUpdate<ReserveCallsAnswer, [ReserveCallsRequest]>('reserveCalls');

/** The failure type of a refused reservation, and of an activity that waited for the budget longer than it may. */
export const RATE_BUDGET_EXHAUSTED = 'DefenderRateBudgetExhausted';

/** The ledger's input: the grants of the last hour, carried across continue-as-new (workflow time, ms). */
export interface RateBudgetState {
  grants?: number[];
}
