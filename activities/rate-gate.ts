import { Context, log } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  ARRIVAL_SLACK_MS,
  MAX_CALLS_PER_RESERVATION,
  URGENT_PRIORITY,
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
  /** Readies the tenant's Defender client (its token) before a reservation, so that a granted call goes at once. */
  prepare?: (signal: AbortSignal) => Promise<void>;
  /** Where the gate's warnings go; by default the log of the activity whose call is being reserved. */
  logger?: Pick<typeof log, 'warn'>;
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
 * A grant that took longer than this to come back is not used: the ledger dated it when its workflow task started,
 * and the call must reach Defender within the ledger's arrival slack of that date.
 */
const STALE_GRANT_MS = ARRIVAL_SLACK_MS - 1_000;

/** A wait longer than this is not waited in the activity by calls other than urgent ones (see `#sendBack`). */
const LONG_WAIT_MS = 2_000;

/** The longest a reservation may take before the gate gives up on it and asks again. */
const RESERVATION_TIMEOUT_MS = 10_000;

/**
 * One worker process's door to its tenant's call ledger. Calls waiting at the same time are reserved together, the
 * most urgent first, with one update: a burst of calls costs the ledger one workflow task, not one per call. Urgent
 * calls have a lane of their own, so that they never wait for a batch's reservation to come back, and a reserve of
 * the windows at the ledger. A call that finds no room waits here (up to `maxWaitMs`) for the time the ledger names,
 * woken early when a more urgent call of its lane arrives.
 */
export class RateGate {
  readonly #options: RateGateOptions;
  readonly #waiting: Waiter[] = [];
  readonly #lanes = { urgent: newLane(), others: newLane() };
  /** When the ledger expects room again, by priority: what a caller that waited too long is told. */
  readonly #roomAt = new Map<number, number>();

  constructor(options: RateGateOptions) {
    this.#options = options;
  }

  /** Resolves once `calls` Defender calls may be made; rejects with a retryable failure after `maxWaitMs`. */
  async acquire(request: { calls: number; priority: number; client: Client; signal: AbortSignal }): Promise<void> {
    await this.#options.prepare?.(request.signal);
    const maxWaitMs = this.#options.maxWaitMs ?? 20_000;
    return new Promise<void>((resolve, reject) => {
      if (request.signal.aborted) return reject(request.signal.reason);
      const waiter: Waiter = { calls: request.calls, priority: request.priority, deadline: 0, resolve, reject };
      const timer = setTimeout(() => this.#expire(waiter), maxWaitMs);
      const abort = () => this.#drop(waiter, request.signal.reason);
      request.signal.addEventListener('abort', abort, { once: true });
      waiter.deadline = Date.now() + maxWaitMs;
      waiter.resolve = () => (clearTimeout(timer), request.signal.removeEventListener('abort', abort), resolve());
      waiter.reject = (err) => (clearTimeout(timer), request.signal.removeEventListener('abort', abort), reject(err));
      this.#waiting.push(waiter);
      const lane = this.#laneOf(request.priority);
      if (request.priority < lane.sleepingFor) lane.wake?.();
      void this.#pump(request.client, lane);
    });
  }

  #laneOf(priority: number): Lane {
    return priority <= URGENT_PRIORITY ? this.#lanes.urgent : this.#lanes.others;
  }

  #waitingIn(lane: Lane): Waiter[] {
    return this.#waiting.filter((w) => this.#laneOf(w.priority) === lane);
  }

  async #pump(client: Client, lane: Lane): Promise<void> {
    if (lane.pumping) return;
    lane.pumping = true;
    try {
      for (let waiting = this.#waitingIn(lane); waiting.length > 0; waiting = this.#waitingIn(lane)) {
        const batch = nextBatch(waiting);
        const priority = batch[0]!.priority;
        const answer = await this.#reserve(client, batch);
        if (answer.retryAfterMs > 0) this.#roomAt.set(priority, Date.now() + answer.retryAfterMs);
        this.#handOut(batch, answer.granted);
        if (priority > URGENT_PRIORITY && answer.retryAfterMs > LONG_WAIT_MS) this.#sendBack(batch);
        const moreUrgent = this.#waitingIn(lane).some((w) => w.priority < priority);
        if (answer.granted < sum(batch) && !moreUrgent) await this.#sleep(lane, answer.retryAfterMs, priority);
      }
    } finally {
      lane.pumping = false;
    }
  }

  /**
   * Granted calls go to the batch's waiters still waiting, in order; what one that gave up meanwhile leaves goes to
   * others of the same priority (a grant's share of the windows depends on its priority).
   */
  #handOut(batch: readonly Waiter[], granted: number): void {
    let left = granted;
    const samePriority = this.#waiting.filter((w) => w.priority === batch[0]!.priority && !batch.includes(w));
    for (const waiter of [...batch, ...samePriority]) {
      if (waiter.calls > left || !this.#waiting.includes(waiter)) continue;
      left -= waiter.calls;
      this.#remove(waiter);
      waiter.resolve();
    }
  }

  /**
   * Calls other than urgent ones that would wait long give their activity's slot back at once, to be retried when
   * room is expected: waiting here, a batch's calls would fill the worker's activity slots, and an urgent call would
   * wait on the task queue for one, behind nothing the server's priorities can reorder.
   */
  #sendBack(batch: readonly Waiter[]): void {
    for (const waiter of batch) if (this.#waiting.includes(waiter)) this.#expire(waiter);
  }

  async #reserve(client: Client, batch: Waiter[]): Promise<ReserveCallsAnswer> {
    const { workflowId, workflowTaskQueue, windows } = this.#options;
    const request = { calls: sum(batch), priority: batch[0]!.priority, windows };
    const sent = Date.now();
    try {
      const answer = await client.withDeadline(sent + RESERVATION_TIMEOUT_MS, () =>
        client.workflow.executeUpdateWithStart(reserveCallsUpdate, {
          args: [request],
          startWorkflowOperation: new WithStartWorkflowOperation(RATE_BUDGET_WORKFLOW_TYPE, {
            workflowId,
            taskQueue: workflowTaskQueue,
            args: [{}],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        }),
      );
      if (Date.now() - sent <= STALE_GRANT_MS) return answer;
      (this.#options.logger ?? log).warn('A reservation came back too late to use: asked again', {
        ms: Date.now() - sent,
        ...request,
      });
      return { granted: 0, retryAfterMs: 1 };
    } catch (err) {
      const refused = refusedFor(err);
      if (refused === 'invalid') this.#failAll(batch, err);
      else if (refused === undefined)
        (this.#options.logger ?? log).warn('The call ledger did not answer', { workflowId, error: String(err) });
      return { granted: 0, retryAfterMs: typeof refused === 'number' ? refused : LEDGER_RETRY_MS };
    }
  }

  /** Sleeps until room is expected, or until a more urgent call of the lane than `priority` arrives. */
  async #sleep(lane: Lane, ms: number, priority: number): Promise<void> {
    const soonestDeadline = Math.min(...this.#waitingIn(lane).map((w) => w.deadline));
    const wait = Math.max(1, Math.min(ms, soonestDeadline - Date.now()));
    lane.sleepingFor = priority;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      lane.wake = () => (clearTimeout(timer), resolve());
    });
    lane.wake = undefined;
    lane.sleepingFor = Infinity;
  }

  /** The ledger refused the reservation itself (a budget it cannot count in): nobody waiting can be served. */
  #failAll(batch: readonly Waiter[], err: unknown): void {
    const cause = err instanceof WorkflowUpdateFailedError ? err.cause : err;
    for (const waiter of batch) {
      this.#drop(
        waiter,
        ApplicationFailure.create({
          type: 'InvalidRateBudget',
          message: `the tenant's call ledger refused its budget: ${cause instanceof Error ? cause.message : String(cause)}`,
          nonRetryable: true,
        }),
      );
    }
  }

  #expire(waiter: Waiter): void {
    // Retried when the ledger last said room would come for calls of its priority, a second at least, spread over a
    // tenth more so that calls sent back together do not all come back at once.
    const wait = Math.max((this.#roomAt.get(waiter.priority) ?? 0) - Date.now(), LEDGER_RETRY_MS);
    const retryAfterMs = Math.round(wait * (1 + Math.random() / 10));
    this.#drop(
      waiter,
      ApplicationFailure.create({
        type: RATE_BUDGET_EXHAUSTED,
        message: `the tenant's Defender budget has no room for this call for ${retryAfterMs} ms`,
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

/**
 * The ledger's refusal: its wait when the budget is full, `invalid` when it refused the request itself, undefined
 * for anything else (the ledger unreachable, a timeout).
 */
function refusedFor(err: unknown): number | 'invalid' | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  if (cause.type === 'InvalidInput') return 'invalid';
  if (cause.type !== RATE_BUDGET_EXHAUSTED) return undefined;
  const retryAfterMs = (cause.details?.[0] as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof retryAfterMs === 'number' && retryAfterMs > 0 ? retryAfterMs : LEDGER_RETRY_MS;
}

const sum = (waiters: readonly Waiter[]) => waiters.reduce((n, w) => n + w.calls, 0);

/** A lane's one reservation at a time, and its sleep. */
interface Lane {
  pumping: boolean;
  wake: (() => void) | undefined;
  sleepingFor: number;
}

const newLane = (): Lane => ({ pumping: false, wake: undefined, sleepingFor: Infinity });

/** The most urgent waiters of one priority (a reservation's priority decides its share of the windows). */
function nextBatch(waiting: readonly Waiter[]): Waiter[] {
  const best = Math.min(...waiting.map((w) => w.priority));
  const batch: Waiter[] = [];
  let calls = 0;
  for (const waiter of waiting) {
    if (waiter.priority !== best || calls + waiter.calls > MAX_CALLS_PER_RESERVATION) continue;
    batch.push(waiter);
    calls += waiter.calls;
  }
  return batch;
}
