import type { Client } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../contract/index.js';
import { TaskQueueNotServedError } from './release-errors.js';

/**
 * The one place the release task queue is chosen, for workers and clients alike: `TEMPORAL_TASK_QUEUE`, else
 * `defender-isolation`. A worker built with `taskQueue: releaseTaskQueue()` and helpers left at their default agree.
 */
export function releaseTaskQueue(env: NodeJS.ProcessEnv = process.env): string {
  return env.TEMPORAL_TASK_QUEUE || DEFAULT_TASK_QUEUE;
}

/** How many workers polled the workflow task queue lately (Temporal keeps pollers seen in the last minutes). */
export async function workflowPollers(client: Client, taskQueue: string): Promise<number> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    // TASK_QUEUE_KIND_NORMAL and TASK_QUEUE_TYPE_WORKFLOW (@temporalio/proto is not a dependency of ours).
    taskQueue: { name: taskQueue, kind: 1 },
    taskQueueType: 1,
  });
  return pollers?.length ?? 0;
}

/**
 * Refuses to start work on a task queue no worker polls, after waiting `waitMs` for one that is starting (a worker
 * shows as a poller once its first poll reaches the server).
 */
export async function checkServed(client: Client, taskQueue: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if ((await workflowPollers(client, taskQueue)) > 0) return;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new TaskQueueNotServedError(notServed(client, taskQueue));
}

export function notServed(client: Client, taskQueue: string): string {
  return (
    `no worker polls task queue "${taskQueue}" in namespace "${client.options.namespace}": run a worker with the ` +
    `defender-isolation plugin on it, or give the task queue your worker polls (taskQueue, TEMPORAL_TASK_QUEUE)`
  );
}
