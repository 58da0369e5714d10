/**
 * Priority keys of the Defender calls on a tenant's API task queue (Temporal task priorities: lower runs first, 1–5,
 * 3 when unset). The queue's rate limit is the tenant's whole Defender budget, and the server gives each free slot to
 * the most urgent task waiting, so these decide who waits when a batch keeps the budget busy. Honoured only by the
 * server's new matcher (`matching.useNewMatcher`); elsewhere they are ignored and the queue stays first in, first out.
 */
export const API_PRIORITY = {
  /**
   * A single release's calls (its machine checks, its POST, cancelling an isolation): a person or a playbook waits on
   * each, and there are few of them.
   */
  singleRelease: 1,
  /**
   * The watcher's confirmation reads: one per tick for every release of the tenant, and they end releases, which frees
   * a batch's window for its next machines.
   */
  confirmation: 2,
  /** A batch's calls (its look-ups and checks, its children's checks and POSTs): nobody waits on one machine of many. */
  batch: 4,
} as const;
