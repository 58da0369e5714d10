import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { markdownText } from '../contract/markdown.js';
import { checkWorkflowId, parseBulkRequest, parseCancelRelease } from '../contract/schemas/index.js';
import {
  BULK_WORKFLOW_TYPE,
  bulkApproveUpdate,
  progressQuery,
  type BulkApproveInput,
  type BulkProgress,
  type BulkReleaseRequest,
  type BulkSelector,
  type CancelReleaseInput,
} from '../contract/index.js';
import type { bulkRelease } from '../workflows/bulk/bulk-release.js';
import { ReleaseUpdateRefusedError, update } from './release-client.js';
import { releaseTaskQueue } from './task-queue.js';

const taskQueueOf = (taskQueue?: string) => taskQueue ?? releaseTaskQueue();

/** Validates (same schema as the workflow, and a workflow id safe for Defender's audit trail) and starts a batch. */
/** A batch's workflow id when its starter names none: the time it starts. */
export const newBulkWorkflowId = (): string => `bulk-release-${new Date().toISOString().replace(/[:.]/g, '-')}`;

export async function startBulkRelease(
  client: Client,
  request: BulkReleaseRequest,
  options: { workflowId?: string; taskQueue?: string } = {},
) {
  parseBulkRequest(request);
  const workflowId = options.workflowId ?? newBulkWorkflowId();
  checkWorkflowId(workflowId, 'bulk release request');
  return client.workflow.start<typeof bulkRelease>(BULK_WORKFLOW_TYPE, {
    taskQueue: taskQueueOf(options.taskQueue),
    workflowId,
    args: [request],
    memo: { requestedBy: request.requestedBy, comment: request.comment, incidentId: request.incidentId ?? null },
    // Markdown in the UI: the requester's name is escaped to show as written.
    staticSummary: `Bulk release${request.dryRun ? ' (dry run)' : ''} requested by ${markdownText(request.requestedBy)}`,
  });
}

export async function approveBulkRelease(
  client: Client,
  workflowId: string,
  input: BulkApproveInput,
): Promise<BulkProgress> {
  const handle = client.workflow.getHandle(workflowId);
  return update(workflowId, () => handle.executeUpdate(bulkApproveUpdate, { args: [input] }));
}

const GRPC_NOT_FOUND = 5;

/**
 * Cancels a batch (a Temporal cancellation: the batch cancels its releases, and they their pending Defender actions).
 * A batch has no update to record who and why in its state, so they go into the cancel request's reason, which its
 * history keeps (WorkflowExecutionCancelRequested). Input is held to the rules of `cancelRelease`.
 */
export async function cancelBulkRelease(client: Client, workflowId: string, input: CancelReleaseInput): Promise<void> {
  const { by, reason } = parseCancelRelease(input);
  try {
    await client.workflowService.requestCancelWorkflowExecution({
      namespace: client.options.namespace,
      workflowExecution: { workflowId },
      identity: client.options.identity,
      requestId: randomUUID(),
      reason: `cancelled by ${by}: ${reason}`,
    });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) {
      throw new ReleaseUpdateRefusedError(`batch ${workflowId} has ended or does not exist; nothing to cancel`);
    }
    throw err;
  }
}

export async function getBulkProgress(client: Client, workflowId: string): Promise<BulkProgress> {
  return client.workflow.getHandle(workflowId).query(progressQuery);
}

export interface BulkScheduleOptions {
  scheduleId: string;
  /** A cron expression (UTC), or… */
  cron?: string;
  /** …an interval such as '1 day'. */
  every?: string;
  selector: BulkSelector;
  comment: string;
  /** Who creates the schedule; with approval 'pre-approved' every run is approved in their name (recorded). */
  createdBy: string;
  approval: { mode: 'pre-approved' } | { mode: 'each-run'; timeout?: string; approvers?: string[] };
  concurrency?: number;
  pollInterval?: string;
  deadline?: string;
  /** The Defender tenant of every run (MSSP). */
  tenant?: string;
  taskQueue?: string;
}

/** The bulk request each run of a schedule starts with. */
export function scheduledBulkRequest(options: BulkScheduleOptions): BulkReleaseRequest {
  const requestedBy = `schedule:${options.scheduleId}`;
  return {
    selector: options.selector,
    comment: options.comment,
    requestedBy,
    approval:
      options.approval.mode === 'pre-approved'
        ? {
            preApprovedBy: options.createdBy,
            reason: `schedule ${options.scheduleId} created and pre-approved by ${options.createdBy}`,
          }
        : {
            ...(options.approval.approvers ? { approvers: options.approval.approvers } : {}),
            ...(options.approval.timeout ? { timeout: options.approval.timeout } : {}),
          },
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.pollInterval ? { pollInterval: options.pollInterval } : {}),
    ...(options.deadline ? { deadline: options.deadline } : {}),
    ...(options.tenant ? { tenant: options.tenant } : {}),
  };
}

/** A recurring bulk release (Temporal Schedule, overlap SKIP), visible on the Temporal UI's Schedules page. */
export async function createBulkSchedule(client: Client, options: BulkScheduleOptions) {
  if (!options.cron === !options.every) throw new Error('give either a cron expression or an interval');
  const request = scheduledBulkRequest(options);
  parseBulkRequest(request);
  // Each run's id is this one with the run's time appended (`-2026-12-01T08:00:00Z`), which keeps it safe.
  checkWorkflowId(`bulk-${options.scheduleId}`, 'bulk release request');
  return client.schedule.create({
    scheduleId: options.scheduleId,
    spec: options.cron ? { cronExpressions: [options.cron] } : { intervals: [{ every: options.every as never }] },
    action: {
      type: 'startWorkflow',
      workflowType: BULK_WORKFLOW_TYPE,
      taskQueue: taskQueueOf(options.taskQueue),
      workflowId: `bulk-${options.scheduleId}`,
      args: [request],
      memo: { createdBy: options.createdBy, scheduleId: options.scheduleId },
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour', pauseOnFailure: false },
    memo: { createdBy: options.createdBy, approval: options.approval.mode },
    state: { note: `Bulk release created by ${options.createdBy} (approval: ${options.approval.mode})` },
  });
}
