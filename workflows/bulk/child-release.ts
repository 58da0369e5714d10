import * as wf from '@temporalio/workflow';
import { releaseWorkflowId, TASK_PRIORITY, type ReleaseRequest } from '../../contract/index.js';
import { outcomeOfFailure } from '../machine-outcome.js';
import { releaseMachine } from '../release/release-machine.js';
import type { Batch } from './batch.js';
import type { MachineRead } from './check.js';

/** Wraps a child's start, so the window knows when no start is left unconfirmed. */
export type StartTracker = <T>(start: () => Promise<T>) => Promise<T>;

/**
 * One machine's release as a child `releaseMachine`: pre-approved by the batch decision (its history and status record
 * who approved the batch, when, and the digest), given what the batch read so it sends only its POST, and abandoned
 * by the batch's runs (it reports its outcome by signal), so that one offline device never holds a run boundary.
 */
export async function releaseChild(batch: Batch, machineId: string, read: MachineRead, track: StartTracker) {
  try {
    const handle = await track(() =>
      wf.startChild(releaseMachine, {
        workflowId: releaseWorkflowId(machineId),
        args: [childRequest(batch, machineId, read)],
        parentClosePolicy: wf.ParentClosePolicy.ABANDON,
        // Behind a single release on the workflow task queue too (the batch's calls are behind it on the API queue).
        priority: { priorityKey: TASK_PRIORITY.batch },
        staticSummary: `Release ${machineId.slice(0, 8)}… (${read.machine!.computerDnsName ?? 'unknown host'}) in bulk release ${batch.workflowId}`,
      }),
    );
    batch.outcomes[machineId] = (await handle.result()).outcome;
  } catch (err) {
    if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError') {
      batch.outcomes[machineId] = 'skipped-running';
    } else if (wf.isCancellation(err)) {
      batch.outcomes[machineId] = 'cancelled';
      throw err;
    } else if (err instanceof wf.ChildWorkflowFailure) {
      batch.outcomes[machineId] = outcomeOfFailure(err.cause) ?? `failed:${err.cause?.name ?? 'Unknown'}`;
    } else {
      throw err;
    }
  }
}

function childRequest(batch: Batch, machineId: string, read: MachineRead): ReleaseRequest {
  const request = batch.request;
  const decision = batch.decision!;
  const state = read.state!;
  return {
    machineId,
    comment: request.comment,
    requestedBy: request.requestedBy,
    ...(request.incidentId ? { incidentId: request.incidentId } : {}),
    approval: {
      preApprovedBy: decision.by,
      reason: `bulk release ${batch.workflowId}: approved ${decision.at} (${batch.targets.length} machines, targets sha256 ${batch.digest!.slice(0, 16)}…)`,
    },
    pollInterval: request.pollInterval,
    deadline: request.deadline,
    ...(request.tenant ? { tenant: request.tenant } : {}),
    reportTo: batch.workflowId,
    precheck: {
      computerDnsName: read.machine!.computerDnsName,
      newestSucceeded: state.newestSucceeded,
      inFlightUnisolate: state.inFlightUnisolate,
      inFlightIsolate: state.inFlightIsolate,
      // The batch's list call returned the device's health: handed over, so the release records it without a call.
      device: { healthStatus: read.machine!.healthStatus, lastSeen: read.machine!.lastSeen ?? null },
    },
  };
}
