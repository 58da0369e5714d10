import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { checkWorkflowId, parseCancelRelease, parseReleaseRequest } from '../contract/schemas/index.js';
import {
  approveUpdate,
  cancelReleaseUpdate,
  DEFAULT_TASK_QUEUE,
  DefenderMachineIdAttribute,
  IncidentIdAttribute,
  isMachineId,
  rejectUpdate,
  RELEASE_WORKFLOW_TYPE,
  ReleaseStateAttribute,
  releaseWorkflowId,
  statusQuery,
  type ApproveInput,
  type CancelReleaseInput,
  type RejectInput,
  type ReleaseRequest,
  type ReleaseResult,
  type ReleaseStatus,
} from '../contract/index.js';
import type { releaseMachine } from '../workflows/release/release-machine.js';

export { InvalidReleaseRequestError } from '../contract/schemas/index.js';

export type ReleaseHandle = WorkflowHandle<typeof releaseMachine>;

export interface StartReleaseOptions {
  taskQueue?: string;
  /** Defaults to `release-<machineId>`, so that duplicate triggers for one machine join one release. */
  workflowId?: string;
}

export interface StartedRelease {
  handle: ReleaseHandle;
  workflowId: string;
  /** True when a release of this machine was already running and this request joined it. */
  joined: boolean;
}

/**
 * Validates the request (the same schema the workflow applies) and starts a release, or joins the one already running
 * for the machine (conflict policy USE_EXISTING). Invalid input (an unsafe `workflowId` too) throws
 * InvalidReleaseRequestError and starts nothing.
 */
export async function startRelease(
  client: Client,
  request: ReleaseRequest,
  options: StartReleaseOptions = {},
): Promise<StartedRelease> {
  const valid = parseReleaseRequest(request);
  const workflowId = options.workflowId ?? releaseWorkflowId(valid.machineId);
  // The id goes into Defender's audit trail: one that could forge a line or a tag there starts nothing.
  checkWorkflowId(workflowId, 'release request');
  // A nonce in the memo tells whether this call started the workflow or joined a running one.
  const nonce = randomUUID();
  const handle = await client.workflow.start<typeof releaseMachine>(RELEASE_WORKFLOW_TYPE, {
    taskQueue: options.taskQueue ?? process.env.TEMPORAL_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    workflowId,
    args: [{ ...request, machineId: valid.machineId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    memo: { requestedBy: valid.requestedBy, incidentId: valid.incidentId, comment: valid.comment, startNonce: nonce },
    typedSearchAttributes: [
      { key: DefenderMachineIdAttribute, value: valid.machineId },
      { key: ReleaseStateAttribute, value: 'validating' },
      ...(valid.incidentId ? [{ key: IncidentIdAttribute, value: valid.incidentId }] : []),
    ],
    staticSummary: `Release ${valid.machineId.slice(0, 8)}… from isolation${
      valid.incidentId ? ` for incident ${valid.incidentId}` : ''
    } (requested by ${valid.requestedBy})`,
    staticDetails: `Machine ${valid.machineId}. Comment: ${valid.comment}`,
  });
  const description = await handle.describe();
  const joined = description.memo?.startNonce !== nonce;
  return { handle, workflowId, joined };
}

/** `release-<id>` for a machine id, the value itself for anything else (a workflow id). */
export function releaseTarget(machineOrWorkflowId: string): string {
  return isMachineId(machineOrWorkflowId) ? releaseWorkflowId(machineOrWorkflowId) : machineOrWorkflowId;
}

export class ReleaseUpdateRefusedError extends Error {
  override readonly name = 'ReleaseUpdateRefusedError';
}

/** Runs an approve/reject update; a refusal (validator, or a workflow that has ended) becomes ReleaseUpdateRefusedError. */
export async function update<T>(workflowId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError && /already completed/.test(err.message)) {
      throw new ReleaseUpdateRefusedError(`release ${workflowId} has already ended; nothing to approve or reject`);
    }
    // The workflow's validator refused it (four-eyes, not an approver, not awaiting approval): nothing was recorded.
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ReleaseUpdateRefusedError(err.cause?.message ?? err.message);
    }
    throw err;
  }
}

export async function approveRelease(client: Client, target: string, input: ApproveInput): Promise<ReleaseStatus> {
  const handle = client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target));
  return update(handle.workflowId, () => handle.executeUpdate(approveUpdate, { args: [input] }));
}

export async function rejectRelease(client: Client, target: string, input: RejectInput): Promise<ReleaseStatus> {
  const handle = client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target));
  return update(handle.workflowId, () => handle.executeUpdate(rejectUpdate, { args: [input] }));
}

export async function getReleaseStatus(client: Client, target: string): Promise<ReleaseStatus> {
  return client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target)).query(statusQuery);
}

/**
 * Cancels a release, recording who and why (the `cancelRelease` update; a Temporal cancellation carries neither): the
 * release cancels a still-pending Defender action, then ends `cancelled`. Returns the status as the update answered it.
 * Input the contract refuses throws InvalidReleaseRequestError and sends nothing; a release that has ended or is being
 * cancelled already refuses with ReleaseUpdateRefusedError.
 */
export async function cancelRelease(client: Client, target: string, input: CancelReleaseInput): Promise<ReleaseStatus> {
  const valid = parseCancelRelease(input);
  const handle = client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target));
  try {
    return await handle.executeUpdate(cancelReleaseUpdate, { args: [valid] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError && /already completed/.test(err.message)) {
      throw new ReleaseUpdateRefusedError(`release ${handle.workflowId} has already ended; nothing to cancel`);
    }
    if (err instanceof WorkflowUpdateFailedError)
      throw new ReleaseUpdateRefusedError(err.cause?.message ?? err.message);
    throw err;
  }
}

export async function waitForRelease(client: Client, target: string): Promise<ReleaseResult> {
  return client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target)).result();
}

export { WorkflowNotFoundError };
