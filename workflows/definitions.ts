/**
 * The public contract of the release workflow: its name, task queue, input and result, messages and failure types.
 * Playbooks, the CLI and outside tools depend on these names; they do not change meaning.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { IsolationView, MachineActionSummary } from '../activities/types.js';

export const RELEASE_WORKFLOW_TYPE = 'releaseMachine';
export const DEFAULT_TASK_QUEUE = 'defender-isolation';

/** A duration: milliseconds, or a string such as '30s', '24h', '3 days'. */
export type DurationInput = string | number;

export type ApprovalRequest =
  /** A second person must approve through the `approve` update, before `timeout` (default '24h'). */
  | { approvers?: string[]; timeout?: DurationInput }
  /** The decision was taken elsewhere (a change ticket, a batch approval); recorded and still four-eyes checked. */
  | { preApprovedBy: string; reason: string };

export interface ReleaseRequest {
  /** The 40-hex Defender machine id. */
  machineId: string;
  /** 1–1000 characters, sent to Defender with the workflow id appended for correlation. */
  comment: string;
  /** Who or what asked, e.g. `playbook:incident-42` or `alice@contoso.com`. */
  requestedBy: string;
  incidentId?: string;
  approval?: ApprovalRequest;
  /** How often to poll the machine action; minimum '1s', default '30s'. */
  pollInterval?: DurationInput;
  /** How long to follow the machine action once sent; default '72h'. */
  deadline?: DurationInput;
  /**
   * The Defender tenant (MSSP): a name the worker was configured with (`DEFENDER_TENANTS_FILE`). Credentials and base
   * URLs live on the worker, never in the request. Absent: the worker's default tenant.
   */
  tenant?: string;
  /**
   * Set by bulk releases only: the batch's workflow id. The release signals its outcome there when it ends, because a
   * batch that continued as new no longer waits on the children of its earlier runs.
   */
  reportTo?: string;
  /** Set by bulk releases only. */
  precheck?: {
    computerDnsName: string | null;
    newestSucceeded: MachineActionSummary | null;
    inFlightUnisolate: MachineActionSummary | null;
    inFlightIsolate: MachineActionSummary | null;
  };
}

/** An approval request after validation (single and bulk releases alike). */
export type ValidatedApproval =
  | { kind: 'required'; approvers: string[] | null; timeoutMs: number }
  | { kind: 'pre-approved'; approvedBy: string; reason: string };

/** The request after validation: ids normalised, defaults applied, durations in milliseconds. */
export interface ValidatedReleaseRequest {
  machineId: string;
  comment: string;
  requestedBy: string;
  incidentId: string | null;
  approval: ValidatedApproval;
  pollIntervalMs: number;
  deadlineMs: number;
  /** Null for the default tenant. */
  tenant: string | null;
  /** From a bulk release: the machine was already read; the release does not read it again. */
  precheck: IsolationView | null;
}

export type ReleaseOutcome = 'released' | 'already-released';

export interface ReleaseResult {
  outcome: ReleaseOutcome;
  machineActionId?: string;
  requestedBy: string;
  approvedBy?: string;
  completedAt: string;
}

/** In progress, then exactly one end. Upserted as the `ReleaseState` search attribute on every change. */
export type ReleaseState =
  | 'validating'
  | 'checking'
  | 'awaiting-approval'
  | 'releasing'
  | 'confirming'
  | 'cancelling'
  | 'released'
  | 'already-released'
  | 'rejected'
  | 'approval-expired'
  | 'invalid-input'
  | 'machine-not-found'
  | 'access-denied'
  | 'action-failed'
  | 'action-timed-out'
  | 'action-cancelled'
  | 'deadline-exceeded'
  | 'reisolated'
  | 'defender-error'
  | 'cancelled';

/** Failure types a release can end with (non-retryable ApplicationFailure `type`). */
export const ReleaseFailureType = {
  InvalidInput: 'InvalidInput',
  MachineNotFound: 'MachineNotFound',
  ReleaseRejected: 'ReleaseRejected',
  ApprovalExpired: 'ApprovalExpired',
  DefenderAccessDenied: 'DefenderAccessDenied',
  MachineActionFailed: 'MachineActionFailed',
  MachineActionTimedOut: 'MachineActionTimedOut',
  MachineActionCancelled: 'MachineActionCancelled',
  ReleaseDeadlineExceeded: 'ReleaseDeadlineExceeded',
  ReisolatedAfterRelease: 'ReisolatedAfterRelease',
  /** Defender refused our credentials or requests in a way retrying cannot fix (bad secret, 400, 401, redirect). */
  DefenderRequestFailed: 'DefenderRequestFailed',
} as const;
export type ReleaseFailureType = (typeof ReleaseFailureType)[keyof typeof ReleaseFailureType];

export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
  /** The approver's comment, or the rejection reason. */
  comment: string | null;
  /** Pre-approved decisions were taken outside this workflow. */
  source: 'update' | 'pre-approved';
}

export interface ReleaseStatus {
  workflowId: string;
  state: ReleaseState;
  machineId: string | null;
  /** Null for the default tenant. */
  tenant: string | null;
  computerDnsName: string | null;
  incidentId: string | null;
  requestedBy: string | null;
  requestedAt: string;
  approval: {
    mode: 'required' | 'pre-approved' | null;
    approvers: string[] | null;
    expiresAt: string | null;
    decision: ApprovalDecision | null;
  };
  machineAction: {
    id: string;
    /** The last status this workflow learned. */
    status: string;
    how: 'posted' | 'adopted-in-flight' | 'adopted-after-unknown-outcome';
    submittedAt: string;
  } | null;
  /** An Isolate that was still in flight and cancelled before the release, so it cannot complete after it. */
  cancelledIsolationActionId: string | null;
  lastError: { type: string; message: string } | null;
  result: ReleaseResult | null;
}

export interface ApproveInput {
  approver: string;
  comment?: string;
}

export interface RejectInput {
  approver: string;
  reason: string;
}

export const approveUpdate = defineUpdate<ReleaseStatus, [ApproveInput]>('approve');
export const rejectUpdate = defineUpdate<ReleaseStatus, [RejectInput]>('reject');
export const statusQuery = defineQuery<ReleaseStatus>('status');

export function releaseWorkflowId(machineId: string): string {
  return `release-${machineId.toLowerCase()}`;
}
