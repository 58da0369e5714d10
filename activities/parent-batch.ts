import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { BULK_WORKFLOW_TYPE, type ApprovalVerification } from '../contract/index.js';
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
  isParentBatch: () => Promise<boolean>;
}): Promise<void> {
  const { precheck, reportTo } = (args.request ?? {}) as { precheck?: unknown; reportTo?: unknown };
  if (precheck === undefined && reportTo === undefined) return;
  const field = precheck !== undefined ? 'precheck' : 'reportTo';
  const { parent } = args;
  if (!parent || (reportTo !== undefined && reportTo !== parent.workflowId)) throw refuse(field);
  if (!(await args.isParentBatch())) throw refuse(field);
}

/**
 * A pre-approval skips the second person's decision. Where the tenant's decisions must be verified, only a bulk
 * release (whose own approval was verified) may pre-approve the releases it starts: anyone else who can start a
 * workflow could otherwise claim a decision nobody proved.
 */
export async function checkPreApproval(args: {
  preApproved: boolean;
  verification: ApprovalVerification;
  isParentBatch: () => Promise<boolean>;
}): Promise<void> {
  if (!args.preApproved || args.verification !== 'required') return;
  if (await args.isParentBatch()) return;
  throw new InvalidReleaseRequestError(
    'invalid release request: approval.preApprovedBy is taken only from a bulk release where this tenant requires ' +
      'verified approvals; ask for an approval instead',
    ['approval'],
  );
}

/**
 * A batch pre-approves every release it starts; where the tenant's decisions must be verified, its own decision must
 * be one (a token signed for its run), never a name its starter typed.
 */
export function checkBatchPreApproval(preApproved: boolean, verification: ApprovalVerification): void {
  if (!preApproved || verification !== 'required') return;
  throw new InvalidReleaseRequestError(
    'invalid bulk release request: approval.preApprovedBy is refused where this tenant requires verified approvals; ' +
      'ask for an approval instead',
    ['approval'],
  );
}

/** Whether the parent is a bulkRelease on this task queue, by Temporal's record of it (not the request's word). */
/**
 * Whether this release's parent is a bulkRelease on this task queue, asked of Temporal once however many checks need
 * it (a batch's children are many; a run's type and queue never change).
 */
export function parentBatchLookup(parent: ParentExecution | null, taskQueue: string): () => Promise<boolean> {
  let answer: Promise<boolean> | undefined;
  return () => (answer ??= parent ? isParentBatch(parent, taskQueue) : Promise.resolve(false));
}

async function isParentBatch(parent: ParentExecution, taskQueue: string): Promise<boolean> {
  try {
    const batch = await Context.current().client.workflow.getHandle(parent.workflowId, parent.runId).describe();
    return batch.type === BULK_WORKFLOW_TYPE && batch.taskQueue === taskQueue;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
