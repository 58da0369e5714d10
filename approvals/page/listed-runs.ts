/**
 * What the page shows of a workflow run before asking it anything: its ids, when it started and the requester's comment
 * from its memo (written by the client helpers and the CLI; null when the starter wrote none).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';

export interface ListedRun {
  workflowId: string;
  runId: string;
  startedAt: string;
  comment: string | null;
}

export function listedRun(execution: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'startTime' | 'memo'>) {
  const comment = execution.memo?.comment;
  return {
    workflowId: execution.workflowId,
    runId: execution.runId,
    startedAt: execution.startTime.toISOString(),
    comment: typeof comment === 'string' ? comment : null,
  } satisfies ListedRun;
}

/** The first `limit` runs a visibility query finds: a page is no queue manager, and a longer list would not help. */
export async function listRuns(client: Client, query: string, limit: number): Promise<ListedRun[]> {
  const found: ListedRun[] = [];
  for await (const execution of client.workflow.list({ query })) {
    found.push(listedRun(execution));
    if (found.length >= limit) break;
  }
  return found;
}
