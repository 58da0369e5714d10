import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  MAX_CALLS_PER_RESERVATION,
  RATE_BUDGET_EXHAUSTED,
  RATE_BUDGET_WORKFLOW_TYPE,
  reserveCallsUpdate,
  type CallWindows,
  type ReserveCallsAnswer,
} from '../contract/index.js';

export interface RateGateOptions {
  /** The tenant's ledger (`rateBudgetWorkflowId`) and the workflow task queue it runs on. */
  workflowId: string;
  workflowTaskQueue: string;
  windows: CallWindows;
  /** The longest a call waits for room inside its activity; then the activity is retried when room is expected. */
  maxWaitMs?: number;
}

interface Waiter {
  calls: number;
  priority: number;
  deadline: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** When the ledger cannot be reached, it is asked again this often while callers still wait. */
const LEDGER_RETRY_MS = 1_000;

/**
 * One worker process's door to its tenant's call ledger. Calls waiting at the same time are reserved together, the
 * most urgent first, with one update: a burst of calls costs the ledger one workflow task, not one per call. A call
 * that finds no room waits here (up to `maxWaitMs`) for the time the ledger names, and is woken early when a more
 * urgent call arrives, since urgent calls have a reserve of their own.
 */
export class RateGate {
  readonly #options: RateGateOptions;
  readonly #waiting: Waiter[] = [];
  #pumping = false;
  #wake: (() => void) | undefined;
  #sleepingFor = Infinity;
  #lastRetryAfterMs = LEDGER_RETRY_MS;

  constructor(options: RateGateOptions) {
    this.#options = options;
  }

  /** Resolves once `calls` Defender calls may be made; rejects with a retryable failure after `maxWaitMs`. */
  acquire(request: { calls: number; priority: number; client: Client; signal: AbortSignal }): Promise<void> {
    const maxWaitMs = this.#options.maxWaitMs ?? 20_000;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { calls: request.calls, priority: request.priority, deadline: 0, resolve, reject };
      const timer = setTimeout(() => this.#expire(waiter), maxWaitMs);
      const abort = () => this.#drop(waiter, request.signal.reason);
      request.signal.addEventListener('abort', abort, { once: true });
      waiter.deadline = Date.now() + maxWaitMs;
      waiter.resolve = () => (clearTimeout(timer), request.signal.removeEventListener('abort', abort), resolve());
      waiter.reject = (err) => (clearTimeout(timer), request.signal.removeEventListener('abort', abort), reject(err));
      this.#waiting.push(waiter);
      if (request.priority < this.#sleepingFor) this.#wake?.();
      void this.#pump(request.client);
    });
  }

  async #pump(client: Client): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#nextBatch();
        const answer = await this.#reserve(client, batch);
        let left = answer.granted;
        for (const waiter of batch) {
          if (waiter.calls > left) break;
          left -= waiter.calls;
          this.#remove(waiter);
          waiter.resolve();
        }
        if (answer.granted < sum(batch)) await this.#sleep(answer.retryAfterMs, batch[0]!.priority);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** The most urgent waiters of one priority (a reservation's priority decides its share of the windows). */
  #nextBatch(): Waiter[] {
    const best = Math.min(...this.#waiting.map((w) => w.priority));
    const batch: Waiter[] = [];
    let calls = 0;
    for (const waiter of this.#waiting) {
      if (waiter.priority !== best || calls + waiter.calls > MAX_CALLS_PER_RESERVATION) continue;
      batch.push(waiter);
      calls += waiter.calls;
    }
    return batch;
  }

  async #reserve(client: Client, batch: Waiter[]): Promise<ReserveCallsAnswer> {
    const { workflowId, workflowTaskQueue, windows } = this.#options;
    const request = { calls: sum(batch), priority: batch[0]!.priority, windows };
    try {
      const answer = await client.workflow.executeUpdateWithStart(reserveCallsUpdate, {
        args: [request],
        startWorkflowOperation: new WithStartWorkflowOperation(RATE_BUDGET_WORKFLOW_TYPE, {
          workflowId,
          taskQueue: workflowTaskQueue,
          args: [{}],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      this.#lastRetryAfterMs = answer.retryAfterMs || this.#lastRetryAfterMs;
      return answer;
    } catch (err) {
      const retryAfterMs = refusedFor(err) ?? LEDGER_RETRY_MS;
      this.#lastRetryAfterMs = retryAfterMs;
      return { granted: 0, retryAfterMs };
    }
  }

  /** Sleeps until room is expected, or until a more urgent call than `priority` arrives. */
  async #sleep(ms: number, priority: number): Promise<void> {
    const soonestDeadline = Math.min(...this.#waiting.map((w) => w.deadline));
    const wait = Math.max(1, Math.min(ms, soonestDeadline - Date.now()));
    this.#sleepingFor = priority;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      this.#wake = () => (clearTimeout(timer), resolve());
    });
    this.#wake = undefined;
    this.#sleepingFor = Infinity;
  }

  #expire(waiter: Waiter): void {
    const retryAfterMs = Math.max(this.#lastRetryAfterMs, 1);
    this.#drop(
      waiter,
      ApplicationFailure.create({
        type: RATE_BUDGET_EXHAUSTED,
        message: `the tenant's Defender budget had no room for ${this.#options.maxWaitMs ?? 20_000} ms`,
        nextRetryDelay: retryAfterMs,
        details: [{ retryAfterMs }],
      }),
    );
  }

  #drop(waiter: Waiter, err: unknown): void {
    if (this.#remove(waiter)) waiter.reject(err);
  }

  #remove(waiter: Waiter): boolean {
    const i = this.#waiting.indexOf(waiter);
    if (i >= 0) this.#waiting.splice(i, 1);
    return i >= 0;
  }
}

/** The client an activity reaches Temporal with: the worker's own connection. */
export function activityClient(): Client {
  return Context.current().client;
}

/** The ledger's refusal: its wait, when the failure is one (anything else is the ledger being unreachable). */
function refusedFor(err: unknown): number | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || cause.type !== RATE_BUDGET_EXHAUSTED) return undefined;
  const retryAfterMs = (cause.details?.[0] as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof retryAfterMs === 'number' && retryAfterMs > 0 ? retryAfterMs : LEDGER_RETRY_MS;
}

const sum = (waiters: readonly Waiter[]) => waiters.reduce((n, w) => n + w.calls, 0);
