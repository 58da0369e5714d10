/**
 * Batches awaiting a decision, with what an approver reviews. A batch upserts no search attribute (its state lives in
 * its `progress` query only), so the page lists running batches through Temporal visibility and asks each where it is.
 */
import type { Client } from '@temporalio/client';
import { BULK_WORKFLOW_TYPE, progressQuery, type BulkProgress } from '../../contract/index.js';
import { listedRun, listRuns, type ListedRun } from './listed-runs.js';

export interface AwaitingBatch extends ListedRun {
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
  const found = (await listRuns(client, RUNNING_BATCHES, LIMIT)).map((run) => ({ ...run, closedAs: null }));
  const batches = await Promise.all(found.map(async (b) => ({ ...b, progress: await progressOrNull(client, b) })));
  return batches.filter((b) => b.progress === null || b.progress.state === 'awaiting-approval');
}

/** One batch's current run and progress, for a decision or its progress view; null when Temporal knows no such batch. */
export async function readBatch(client: Client, workflowId: string): Promise<AwaitingBatch | null> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    if (description.type !== BULK_WORKFLOW_TYPE) return null;
    const batch = {
      ...listedRun(description),
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
