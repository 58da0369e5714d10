import {
  MAX_WATCH_POLL_MS,
  MIN_WATCH_POLL_MS,
  type ActionFinalDelivery,
  type ActionOutcome,
  type EndedAction,
  type WatchedAction,
  type WatchEntry,
  type WatchRequest,
} from '../../contract/index.js';

/** An action no list call has shown this long after it was registered is not one Defender knows: it is dropped. */
export const UNSEEN_LIMIT_MS = 10 * 60_000;
/** Past this age an action is a slow one (an offline device): it is looked at once a minute at most. */
const SLOW_AFTER_MS = 15 * 60_000;
const SLOW_POLL_MS = 60_000;
/** A release follows its action for at most 30 days; a day more, and nobody waits on it. */
const LONGEST_WATCH_MS = 31 * 86_400_000;
/**
 * How long an ended action's outcome stays on record (in the memo) for its subscribers to check: they do at once; one
 * that comes later finds nothing, registers again, and the next look records the outcome anew.
 */
export const ENDED_KEPT_MS = 60_000;
/** Caps on what subscribers can make the watcher hold. */
const MAX_WATCHED = 20_000;
const MAX_SUBSCRIBERS = 50;
const MAX_ENDED = 2_000;

/** The machine actions a tenant's watcher follows, who waits on each, and those it saw end lately. */
export class WatchList {
  readonly #entries: Map<string, WatchEntry>;
  readonly #ended: Map<string, EndedAction>;
  /** Records pushed out by the cap, not yet cleared from the memo. */
  #evicted: string[] = [];

  constructor(
    watched: WatchEntry[],
    ended: EndedAction[],
    /** The tenant's budget as an interval: no poll comes sooner. */
    private floorMs: number,
  ) {
    this.#entries = new Map(watched.map((w) => [w.actionId, w]));
    this.#ended = new Map(ended.map((e) => [e.outcome.action.id.toLowerCase(), e]));
  }

  /** The floor as the tenant's worker has it (a starter's word is only taken until the first look). */
  setFloor(floorMs: number | undefined): void {
    if (typeof floorMs === 'number' && Number.isFinite(floorMs)) {
      this.floorMs = Math.min(Math.max(floorMs, MIN_WATCH_POLL_MS), MAX_WATCH_POLL_MS);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A release waits on an action: several releases may wait on one (a release adopted another's action). */
  add(request: WatchRequest, nowMs: number): 'added' | 'joined' | 'full' {
    const existing = this.#entries.get(request.actionId);
    if (existing) {
      if (existing.subscribers.length >= MAX_SUBSCRIBERS) return 'full';
      if (!existing.subscribers.includes(request.subscriber)) existing.subscribers.push(request.subscriber);
      existing.pollIntervalMs = Math.min(existing.pollIntervalMs, request.pollIntervalMs);
      return 'joined';
    }
    if (this.#entries.size >= MAX_WATCHED) return 'full';
    const { actionId, machineId, createdAt, subscriber, pollIntervalMs } = request;
    const entry = { actionId, machineId, createdAt, subscribers: [subscriber], pollIntervalMs, addedAt: nowMs };
    this.#entries.set(actionId, { ...entry, seen: false });
    return 'added';
  }

  /** The shortest interval any waiting release asked for; never under the floor, and slow for long-running actions. */
  nextPollMs(nowMs: number): number {
    const intervals = [...this.#entries.values()].map((w) =>
      Math.max(this.floorMs, w.pollIntervalMs, nowMs - w.addedAt > SLOW_AFTER_MS ? SLOW_POLL_MS : 0),
    );
    return Math.min(...intervals);
  }

  /**
   * What to look for, and since when: the oldest watched action's creation, but never before the longest a release
   * waits (a creation time from a forged `watch` must not make every list call read the tenant's whole history).
   */
  targets(nowMs: number): { since: string; watched: WatchedAction[] } {
    const watched = [...this.#entries.values()].map(({ actionId, machineId, createdAt }) => ({
      actionId,
      machineId,
      createdAt,
    }));
    const oldest = Math.min(...watched.map((w) => Date.parse(w.createdAt)));
    return { since: new Date(Math.max(oldest, nowMs - LONGEST_WATCH_MS)).toISOString(), watched };
  }

  markSeen(actionIds: string[]): void {
    for (const id of actionIds) {
      const entry = this.#entries.get(id.toLowerCase());
      if (entry) entry.seen = true;
    }
  }

  /**
   * Removes the actions that ended and keeps their outcomes on record: returns the new records and one delivery per
   * waiting release.
   */
  take(finals: ActionOutcome[], nowMs: number): { recorded: EndedAction[]; deliveries: ActionFinalDelivery[] } {
    const recorded: EndedAction[] = [];
    const deliveries = finals.flatMap((outcome) => {
      const actionId = outcome.action.id.toLowerCase();
      const entry = this.#entries.get(actionId);
      if (!entry) return [];
      this.#entries.delete(actionId);
      recorded.push(this.#record(actionId, outcome, nowMs));
      return entry.subscribers.map((subscriber) => ({ subscriber, actionId }));
    });
    return { recorded, deliveries };
  }

  /**
   * Drops what nobody can be waiting on: actions no list has shown within 10 minutes (unknown ids, or a creation time
   * that hides them), actions older than any release's deadline, and ended outcomes past their time on record.
   */
  prune(nowMs: number): { dropped: WatchEntry[]; expired: string[] } {
    const dropped: WatchEntry[] = [];
    const expired = this.#evicted;
    this.#evicted = [];
    for (const [id, entry] of this.#entries) {
      const age = nowMs - entry.addedAt;
      if ((!entry.seen && age > UNSEEN_LIMIT_MS) || age > LONGEST_WATCH_MS) {
        this.#entries.delete(id);
        dropped.push(entry);
      }
    }
    for (const [id, ended] of this.#ended) {
      if (nowMs - ended.endedAt <= ENDED_KEPT_MS) continue;
      this.#ended.delete(id);
      expired.push(id);
    }
    return { dropped, expired };
  }

  /** The outcomes on record (a new run writes them to its memo again). */
  get ended(): EndedAction[] {
    return [...this.#ended.values()];
  }

  #record(actionId: string, outcome: ActionOutcome, nowMs: number): EndedAction {
    // The record is for checking and rides in the memo: the comments are left out.
    const short = (a: ActionOutcome['action']) => ({ ...a, requestorComment: null });
    const kept = { action: short(outcome.action), laterIsolate: outcome.laterIsolate && short(outcome.laterIsolate) };
    const ended = { outcome: kept, endedAt: nowMs };
    this.#ended.set(actionId, ended);
    // Map order is insertion order: the first key is the oldest outcome on record.
    if (this.#ended.size > MAX_ENDED) {
      const oldest = this.#ended.keys().next().value!;
      this.#ended.delete(oldest);
      this.#evicted.push(oldest);
    }
    return ended;
  }

  /** What the next run carries over (continue-as-new). */
  toState(): { watched: WatchEntry[]; ended: EndedAction[]; floorMs: number } {
    return { watched: [...this.#entries.values()], ended: [...this.#ended.values()], floorMs: this.floorMs };
  }
}
