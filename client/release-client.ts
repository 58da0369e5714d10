import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { markdownText } from '../contract/markdown.js';
import { checkWorkflowId, parseCancelRelease, parseReleaseRequest } from '../contract/schemas/index.js';
import {
  approveUpdate,
  cancelReleaseUpdate,
  DefenderMachineIdAttribute,
  IncidentIdAttribute,
  isMachineId,
  rejectUpdate,
  RELEASE_WORKFLOW_TYPE,
  ReleaseStateAttribute,
  releaseWorkflowId,
  SEARCH_ATTRIBUTES,
  statusQuery,
  type ApproveInput,
  type CancelReleaseInput,
  type RejectInput,
  type ReleaseRequest,
  type ReleaseResult,
  type ReleaseStatus,
} from '../contract/index.js';
import type { releaseMachine } from '../workflows/release/release-machine.js';
import {
  causeChain,
  ReleaseTimeoutError,
  SearchAttributesMissingError,
  TaskQueueMismatchError,
} from './release-errors.js';
import { DEFAULT_ANSWER_TIMEOUT_MS, withinTimeout, type WaitOptions } from './release-waits.js';
import { checkServed, releaseTaskQueue } from './task-queue.js';

export { InvalidReleaseRequestError } from '../contract/schemas/index.js';

export type ReleaseHandle = WorkflowHandle<typeof releaseMachine>;

export interface StartReleaseOptions {
  /** Defaults to releaseTaskQueue(): `TEMPORAL_TASK_QUEUE`, else `defender-isolation`. */
  taskQueue?: string;
  /** Defaults to `release-<machineId>`, so that duplicate triggers for one machine join one release. */
  workflowId?: string;
  /**
   * How long to wait for a worker to poll the task queue before refusing to start (TaskQueueNotServedError); default
   * 10 s. 0 starts without looking: the release then waits for a worker, however long that takes.
   */
  waitForWorkerMs?: number;
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
  const taskQueue = options.taskQueue ?? releaseTaskQueue();
  if (options.waitForWorkerMs !== 0) await checkServed(client, taskQueue, options.waitForWorkerMs ?? 10_000);
  // A nonce in the memo tells whether this call started the workflow or joined a running one.
  const nonce = randomUUID();
  const handle = await client.workflow
    .start<typeof releaseMachine>(RELEASE_WORKFLOW_TYPE, {
      taskQueue,
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
      // The UI renders both as markdown: the requester's, incident's and comment's text is escaped to show as written.
      staticSummary: `Release ${valid.machineId.slice(0, 8)}… from isolation${
        valid.incidentId ? ` for incident ${markdownText(valid.incidentId)}` : ''
      } (requested by ${markdownText(valid.requestedBy)})`,
      staticDetails: `Machine ${valid.machineId}. Comment: ${markdownText(valid.comment)}`,
    })
    .catch((err: unknown) => {
      throw explainStartFailure(err, client);
    });
  const description = await handle.describe();
  const joined = description.memo?.startNonce !== nonce;
  if (joined && description.taskQueue !== taskQueue) {
    throw new TaskQueueMismatchError(
      `${workflowId} is already running on task queue "${description.taskQueue}", not "${taskQueue}": this start ` +
        'joined it and changed nothing; steer it on its own queue, or cancel it and start again',
    );
  }
  return { handle, workflowId, joined };
}

/** A start the server refused because the namespace lacks our search attributes says which, and how to add them. */
function explainStartFailure(err: unknown, client: Client): unknown {
  // The client's ServiceError says only "Failed to start Workflow"; the server's reason is in its cause.
  const message = causeChain(err)
    .map((e) => e.message)
    .find((m) => /search attribute/i.test(m));
  if (message === undefined) return err;
  const names = SEARCH_ATTRIBUTES.map((a) => a.name).join(', ');
  return new SearchAttributesMissingError(
    `namespace "${client.options.namespace}" lacks the search attributes releases record (${names}, all Keyword): ` +
      'register them with ensureSearchAttributes() from defender-isolation/worker, or "temporal operator ' +
      `search-attribute create --name <name> --type Keyword" (server said: ${message})`,
    { cause: err },
  );
}

/** `release-<id>` for a machine id, the value itself for anything else (a workflow id). */
export function releaseTarget(machineOrWorkflowId: string): string {
  return isMachineId(machineOrWorkflowId) ? releaseWorkflowId(machineOrWorkflowId) : machineOrWorkflowId;
}

export class ReleaseUpdateRefusedError extends Error {
  override readonly name = 'ReleaseUpdateRefusedError';
}

/** Runs an update; a refusal (validator, or a workflow that has ended) becomes ReleaseUpdateRefusedError. */
export async function update<T>(
  workflowId: string,
  call: () => Promise<T>,
  whenEnded = 'nothing to approve or reject',
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError && /already completed/.test(err.message)) {
      throw new ReleaseUpdateRefusedError(`release ${workflowId} has already ended; ${whenEnded}`);
    }
    // The workflow's validator refused it (four-eyes, not an approver, not awaiting approval): nothing was recorded.
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ReleaseUpdateRefusedError(err.cause?.message ?? err.message);
    }
    throw err;
  }
}

export async function approveRelease(
  client: Client,
  target: string,
  input: ApproveInput,
  options: WaitOptions = {},
): Promise<ReleaseStatus> {
  const handle = client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target));
  return withinTimeout(client, handle.workflowId, 'approving', timeoutOf(options), () =>
    update(handle.workflowId, () => handle.executeUpdate(approveUpdate, { args: [input] })),
  );
}

export async function rejectRelease(
  client: Client,
  target: string,
  input: RejectInput,
  options: WaitOptions = {},
): Promise<ReleaseStatus> {
  const handle = client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target));
  return withinTimeout(client, handle.workflowId, 'rejecting', timeoutOf(options), () =>
    update(handle.workflowId, () => handle.executeUpdate(rejectUpdate, { args: [input] })),
  );
}

export async function getReleaseStatus(
  client: Client,
  target: string,
  options: WaitOptions = {},
): Promise<ReleaseStatus> {
  const handle = client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target));
  return withinTimeout(client, handle.workflowId, 'reading the status of', timeoutOf(options), () =>
    handle.query(statusQuery),
  );
}

/**
 * Waits until the release asks for a decision (`awaiting-approval`), or has gone past that point (pre-approved,
 * released, refused, ended): its status then. Default timeout 60 s.
 */
export async function waitForApproval(
  client: Client,
  target: string,
  options: WaitOptions = {},
): Promise<ReleaseStatus> {
  const workflowId = releaseTarget(target);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await statusIfStarted(client, workflowId, Math.max(deadline - Date.now(), 1));
    if (status && !BEFORE_APPROVAL.has(status.state)) return status;
    if (Date.now() + 250 >= deadline) {
      throw new ReleaseTimeoutError(
        `waiting for the approval of ${workflowId}: ${status ? `still ${status.state}` : 'not started'} after ` +
          `${timeoutMs / 1000} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The status, or undefined while no such release exists yet (a playbook may start it a moment later). */
async function statusIfStarted(client: Client, workflowId: string, timeoutMs: number) {
  try {
    return await withinTimeout(client, workflowId, 'waiting for the approval of', timeoutMs, () =>
      client.workflow.getHandle<typeof releaseMachine>(workflowId).query(statusQuery),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

const BEFORE_APPROVAL = new Set<string>(['validating', 'checking']);

/**
 * Cancels a release, recording who and why (the `cancelRelease` update; a Temporal cancellation carries neither): the
 * release cancels a still-pending Defender action, then ends `cancelled`. Returns the status as the update answered it.
 * Input the contract refuses throws InvalidReleaseRequestError and sends nothing; a release that has ended or is being
 * cancelled already refuses with ReleaseUpdateRefusedError.
 */
export async function cancelRelease(
  client: Client,
  target: string,
  input: CancelReleaseInput,
  options: WaitOptions = {},
): Promise<ReleaseStatus> {
  const valid = parseCancelRelease(input);
  const handle = client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target));
  return withinTimeout(client, handle.workflowId, 'cancelling', timeoutOf(options), () =>
    update(handle.workflowId, () => handle.executeUpdate(cancelReleaseUpdate, { args: [valid] }), 'nothing to cancel'),
  );
}

/**
 * The release's result once it ends (a failed release throws WorkflowFailedError with its typed cause). Without a
 * timeout it waits as long as the release runs (up to its approval timeout plus its deadline).
 */
export async function waitForRelease(
  client: Client,
  target: string,
  options: WaitOptions = {},
): Promise<ReleaseResult> {
  const handle = client.workflow.getHandle<typeof releaseMachine>(releaseTarget(target));
  if (options.timeoutMs === undefined) return handle.result();
  return withinTimeout(client, handle.workflowId, 'waiting for the end of', options.timeoutMs, () => handle.result());
}

const timeoutOf = (options: WaitOptions) => options.timeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;

export { WorkflowNotFoundError };
