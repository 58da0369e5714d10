/**
 * Priority keys (Temporal task priorities: lower runs first, 1–5, 3 when unset) of the Defender calls on a tenant's API
 * task queue, and of a batch's releases. The server gives each free slot of the queue to the most urgent task waiting,
 * and the tenant's call ledger keeps a reserve of Defender's windows for `singleRelease` calls, so these decide who
 * waits when a batch keeps the budget busy. A batch also starts its releases at `batch`: their workflow tasks then wait behind those of a single release
 * (3, unset) on the workflow task queue, which a batch starting hundreds of releases fills too. Honoured only by the
 * server's new matcher (`matching.useNewMatcher`); elsewhere they are ignored and the queues stay first in, first out.
 */
export const TASK_PRIORITY = {
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
  /**
   * A batch's calls (its look-ups and checks, its children's checks and POSTs) and its children's workflow tasks: nobody
   * waits on one machine of many.
   */
  batch: 4,
} as const;
