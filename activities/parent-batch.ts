import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { BULK_WORKFLOW_TYPE } from '../contract/index.js';
import { InvalidReleaseRequestError } from '../contract/schemas/index.js';

export interface ParentExecution {
  workflowId: string;
  runId: string;
}

const refuse = (field: 'precheck' | 'reportTo') =>
  new InvalidReleaseRequestError(
    `invalid release request: ${field} is set by a bulk release for the releases it starts, and by nothing else`,
    [field],
  );

/**
 * `precheck` (what the batch read of the machine) and `reportTo` (where the outcome goes) are taken only from the
 * bulk release that started this release as its child: anyone else could claim the machine already released, or
 * have it adopt another machine's action. The parent is Temporal's record, not the request's word, and it must be a
 * `bulkRelease` on this task queue.
 */
export async function checkParentBatch(args: {
  request: unknown;
  parent: ParentExecution | null;
  taskQueue: string;
}): Promise<void> {
  const { precheck, reportTo } = (args.request ?? {}) as { precheck?: unknown; reportTo?: unknown };
  if (precheck === undefined && reportTo === undefined) return;
  const field = precheck !== undefined ? 'precheck' : 'reportTo';
  const { parent } = args;
  if (!parent || (reportTo !== undefined && reportTo !== parent.workflowId)) throw refuse(field);
  try {
    const batch = await Context.current().client.workflow.getHandle(parent.workflowId, parent.runId).describe();
    if (batch.type !== BULK_WORKFLOW_TYPE || batch.taskQueue !== args.taskQueue) throw refuse(field);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw refuse(field);
    throw err;
  }
}
