import type {
  ActionOutcome,
  ActionOutcomeDelivery,
  WatchedAction,
  WatcherState,
  WatchRequest,
} from '../../contract/index.js';

type Entry = WatcherState['watched'][number];

/** The machine actions a tenant's watcher follows, and who waits on each. */
export class WatchList {
  readonly #entries: Map<string, Entry>;

  constructor(watched: Entry[]) {
    this.#entries = new Map(watched.map((w) => [w.actionId, w]));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A release waits on an action: several releases may wait on one (a release adopted another's action). */
  add(request: WatchRequest): void {
    const existing = this.#entries.get(request.actionId);
    if (existing) {
      if (!existing.subscribers.includes(request.subscriber)) existing.subscribers.push(request.subscriber);
      existing.pollIntervalMs = Math.min(existing.pollIntervalMs, request.pollIntervalMs);
      return;
    }
    const { actionId, machineId, createdAt, subscriber, pollIntervalMs } = request;
    this.#entries.set(actionId, { actionId, machineId, createdAt, subscribers: [subscriber], pollIntervalMs });
  }

  /** The shortest poll interval any waiting release asked for, never under a second. */
  nextPollMs(): number {
    return Math.max(1_000, Math.min(...[...this.#entries.values()].map((w) => w.pollIntervalMs)));
  }

  /** What to look for, and since when (the oldest watched action's creation). */
  targets(): { since: string; watched: WatchedAction[] } {
    const watched = [...this.#entries.values()].map(({ actionId, machineId, createdAt }) => ({
      actionId,
      machineId,
      createdAt,
    }));
    return { since: watched.map((w) => w.createdAt).sort()[0]!, watched };
  }

  /** Removes the actions that ended; returns one delivery per waiting release. */
  take(finals: ActionOutcome[]): ActionOutcomeDelivery[] {
    return finals.flatMap((outcome) => {
      const entry = this.#entries.get(outcome.action.id);
      if (!entry) return [];
      this.#entries.delete(outcome.action.id);
      return entry.subscribers.map((subscriber) => ({ subscriber, outcome }));
    });
  }

  /** What the next run carries over (continue-as-new). */
  toState(): Entry[] {
    return [...this.#entries.values()];
  }
}
