import { setTimeout } from 'node:timers/promises';
import {
  ApplicationFailure,
  CancelledFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { MachineOutcome } from '../contract/index.js';

const RESULT_OUTCOMES: readonly string[] = ['released', 'already-released'];

/**
 * How the release under `workflowId` ended, read from Temporal's record of its run: undefined while it runs. The run
 * must be a child of `batchWorkflowId`; any other (or none) counts as ended unreported for that batch.
 */
export async function releaseOutcome(
  client: Client,
  workflowId: string,
  batchWorkflowId: string,
  waitForRunningMs = 0,
): Promise<MachineOutcome | undefined> {
  try {
    const release = await describeOnceClosed(client, workflowId, waitForRunningMs);
    if (release.parentExecution?.workflowId !== batchWorkflowId) return 'failed:ReleaseEndedUnreported';
    switch (release.status.name) {
      case 'RUNNING':
        return undefined;
      case 'TERMINATED':
        return 'failed:ReleaseTerminated';
      case 'TIMED_OUT':
        return 'failed:ReleaseTimedOut';
      case 'CANCELLED':
        return 'cancelled';
      default:
        return await closedOutcome(client, workflowId, release.runId);
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'failed:ReleaseEndedUnreported';
    throw err;
  }
}

/** Polling interval while a release that said it ended is still closing (it signals its batch just before it ends). */
const CLOSING_POLL_MS = 250;

async function describeOnceClosed(client: Client, workflowId: string, waitMs: number) {
  const until = Date.now() + waitMs;
  for (;;) {
    const release = await client.workflow.getHandle(workflowId).describe();
    if (release.status.name !== 'RUNNING' || Date.now() >= until) return release;
    await setTimeout(CLOSING_POLL_MS);
  }
}

async function closedOutcome(client: Client, workflowId: string, runId: string): Promise<MachineOutcome> {
  try {
    const result: unknown = await client.workflow.getHandle(workflowId, runId).result();
    const outcome = (result as { outcome?: unknown } | null)?.outcome;
    return typeof outcome === 'string' && RESULT_OUTCOMES.includes(outcome)
      ? (outcome as MachineOutcome)
      : 'failed:ReleaseEndedUnreported';
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    if (err.cause instanceof CancelledFailure) return 'cancelled';
    if (err.cause instanceof ApplicationFailure) return `failed:${err.cause.type ?? 'Unknown'}`;
    return 'failed:ReleaseEndedUnreported';
  }
}
