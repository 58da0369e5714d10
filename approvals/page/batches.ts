/**
 * Batches awaiting a decision, with what an approver reviews. A batch upserts no search attribute (its state lives in
 * its `progress` query only), so the page lists running batches through Temporal visibility and asks each where it is.
 */
import type { Client } from '@temporalio/client';
import { BULK_WORKFLOW_TYPE, progressQuery, type BulkProgress } from '../../contract/index.js';

export interface AwaitingBatch {
  workflowId: string;
  runId: string;
  startedAt: string;
  /** The requester's comment, from the memo the client helpers write; null when the starter wrote none. */
  comment: string | null;
  /** Null when the batch did not answer in time (no worker on its queue): listed, but not decidable here. */
  progress: BulkProgress | null;
  /** How Temporal closed the run (COMPLETED, FAILED, …); null while it runs. */
  closedAs: string | null;
}

const RUNNING_BATCHES = `WorkflowType = "${BULK_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`;
/** At most this many running batches are asked: batches are few, and a page is no queue manager. */
const LIMIT = 50;
/** A batch whose worker does not answer must not hold the page. */
const PROGRESS_TIMEOUT_MS = 3_000;

/** Running batches that await a decision, or did not say where they are (shown without buttons). */
export async function listAwaitingBatches(client: Client): Promise<AwaitingBatch[]> {
  const found: Omit<AwaitingBatch, 'progress'>[] = [];
  for await (const execution of client.workflow.list({ query: RUNNING_BATCHES })) {
    const comment = execution.memo?.comment;
    found.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      startedAt: execution.startTime.toISOString(),
      comment: typeof comment === 'string' ? comment : null,
      closedAs: null,
    });
    if (found.length >= LIMIT) break;
  }
  const batches = await Promise.all(found.map(async (b) => ({ ...b, progress: await progressOrNull(client, b) })));
  return batches.filter((b) => b.progress === null || b.progress.state === 'awaiting-approval');
}

/** One batch's current run and progress, for a decision or its progress view; null when Temporal knows no such batch. */
export async function readBatch(client: Client, workflowId: string): Promise<AwaitingBatch | null> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    if (description.type !== BULK_WORKFLOW_TYPE) return null;
    const comment = description.memo?.comment;
    const batch = {
      workflowId,
      runId: description.runId,
      startedAt: description.startTime.toISOString(),
      comment: typeof comment === 'string' ? comment : null,
      closedAs: description.status.name === 'RUNNING' ? null : description.status.name,
    };
    return { ...batch, progress: await progressOrNull(client, batch) };
  } catch {
    return null;
  }
}

async function progressOrNull(client: Client, batch: { workflowId: string }): Promise<BulkProgress | null> {
  const handle = client.workflow.getHandle(batch.workflowId);
  return client.withDeadline(Date.now() + PROGRESS_TIMEOUT_MS, () => handle.query(progressQuery)).catch(() => null);
}
