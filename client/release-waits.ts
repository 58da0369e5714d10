import {
  isGrpcDeadlineError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { causeChain, ReleaseTimeoutError } from './release-errors.js';
import { notServed, workflowPollers } from './task-queue.js';

/** How long a helper waits for a running release to answer a query or an update, unless told otherwise. */
export const DEFAULT_ANSWER_TIMEOUT_MS = 30_000;

export interface WaitOptions {
  /** How long to wait before giving up with ReleaseTimeoutError. */
  timeoutMs?: number;
}

/**
 * Runs `call` under a deadline. A call that runs out of time becomes ReleaseTimeoutError saying why, as far as
 * Temporal can tell: the release has ended, or no worker polls its task queue, or its worker did not answer.
 */
export async function withinTimeout<T>(
  client: Client,
  workflowId: string,
  what: string,
  timeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await client.withDeadline(Date.now() + timeoutMs, call);
  } catch (err) {
    if (!ranOutOfTime(err)) throw err;
    const why = await whyUnanswered(client, workflowId).catch(() => 'Temporal could not tell why');
    throw new ReleaseTimeoutError(`${what} ${workflowId}: no answer within ${timeoutMs / 1000} s; ${why}`);
  }
}

/** A deadline hit, as the client reports it: itself, or as the cause of its ServiceError ("Failed to query"). */
function ranOutOfTime(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  return causeChain(err).some((e) => isGrpcDeadlineError(e));
}

async function whyUnanswered(client: Client, workflowId: string): Promise<string> {
  const description: WorkflowExecutionDescription = await client.withDeadline(Date.now() + 5_000, () =>
    client.workflow.getHandle(workflowId).describe(),
  );
  if (description.status.name !== 'RUNNING') return `it has ended (${description.status.name})`;
  const pollers = await client.withDeadline(Date.now() + 5_000, () => workflowPollers(client, description.taskQueue));
  if (pollers === 0) return notServed(client, description.taskQueue);
  return `its task queue "${description.taskQueue}" has ${pollers} worker(s), none answered in time`;
}
