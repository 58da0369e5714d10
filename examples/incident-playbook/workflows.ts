/**
 * An incident playbook, as a SOC would write it in its own worker: once the incident is resolved, release the machine
 * from isolation with `releaseMachine` as a child workflow, and react to each way the release can end.
 *
 * Register it next to the release workflows with the plugin (see worker.ts in this folder).
 */
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  defineQuery,
  defineSignal,
  executeChild,
  log,
  ParentClosePolicy,
  setHandler,
} from '@temporalio/workflow';
import {
  releaseMachine,
  ReleaseFailureType,
  releaseWorkflowId,
  type ReleaseResult,
} from 'defender-isolation/workflows';

export interface IncidentPlaybookInput {
  incidentId: string;
  machineId: string;
  /** The analyst who owns the incident: the requester of the release (someone else approves). */
  analyst: string;
  /** Who may approve the release; anyone but the analyst when absent. */
  approvers?: string[];
  /** Named MSSP tenant of the machine, if any. */
  tenant?: string;
  /** How often the release polls its machine action (default 30s). */
  pollInterval?: string;
}

/** What the playbook does next, per way the release ended. */
export type PlaybookOutcome =
  | 'machine-released'
  | 'machine-already-released'
  | 'kept-isolated-rejected'
  | 'escalated-no-approval'
  | 'closed-machine-gone'
  | 'reopened-reisolated'
  | 'retry-release-later'
  | 'paged-platform-team'
  | 'fix-playbook-input';

export interface PlaybookReport {
  incidentId: string;
  outcome: PlaybookOutcome;
  release: ReleaseResult | null;
  /** The release's failure type when it did not succeed. */
  failureType: string | null;
}

export const incidentResolvedSignal = defineSignal<[{ resolvedBy: string; note: string }]>('incidentResolved');
export const playbookStateQuery = defineQuery<string>('playbookState');

/** The reaction to each failure type of the release contract. */
export const REACTIONS: Record<ReleaseFailureType, PlaybookOutcome> = {
  [ReleaseFailureType.ReleaseRejected]: 'kept-isolated-rejected',
  [ReleaseFailureType.ApprovalExpired]: 'escalated-no-approval',
  [ReleaseFailureType.MachineNotFound]: 'closed-machine-gone',
  [ReleaseFailureType.ReisolatedAfterRelease]: 'reopened-reisolated',
  [ReleaseFailureType.MachineActionFailed]: 'retry-release-later',
  [ReleaseFailureType.MachineActionTimedOut]: 'retry-release-later',
  [ReleaseFailureType.MachineActionCancelled]: 'retry-release-later',
  [ReleaseFailureType.ReleaseDeadlineExceeded]: 'retry-release-later',
  [ReleaseFailureType.DefenderAccessDenied]: 'paged-platform-team',
  [ReleaseFailureType.DefenderRequestFailed]: 'paged-platform-team',
  [ReleaseFailureType.InvalidInput]: 'fix-playbook-input',
};

export async function incidentPlaybook(input: IncidentPlaybookInput): Promise<PlaybookReport> {
  let state = 'waiting-for-resolution';
  let resolution: { resolvedBy: string; note: string } | undefined;
  setHandler(incidentResolvedSignal, (r) => void (resolution = r));
  setHandler(playbookStateQuery, () => state);

  await condition(() => resolution !== undefined);
  state = 'releasing-machine';
  try {
    const release = await executeChild(releaseMachine, {
      // The release's own id: a second trigger for the same machine joins it instead of sending a second release.
      workflowId: releaseWorkflowId(input.machineId),
      args: [
        {
          machineId: input.machineId,
          comment: `Incident ${input.incidentId} resolved by ${resolution!.resolvedBy}: ${resolution!.note}`,
          requestedBy: input.analyst,
          incidentId: input.incidentId,
          approval: input.approvers ? { approvers: input.approvers } : {},
          ...(input.tenant ? { tenant: input.tenant } : {}),
          ...(input.pollInterval ? { pollInterval: input.pollInterval } : {}),
        },
      ],
      // Closing the incident workflow must not abandon a release half-way: the release finishes on its own.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    state = 'done';
    return {
      incidentId: input.incidentId,
      outcome: release.outcome === 'released' ? 'machine-released' : 'machine-already-released',
      release,
      failureType: null,
    };
  } catch (err) {
    const type =
      err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
    const outcome = type ? REACTIONS[type as ReleaseFailureType] : undefined;
    if (!outcome) throw err; // Cancelled or terminated: not a release outcome the playbook knows.
    log.warn('Release did not succeed', { incidentId: input.incidentId, failureType: type, outcome });
    state = 'done';
    return { incidentId: input.incidentId, outcome, release: null, failureType: type ?? null };
  }
}
