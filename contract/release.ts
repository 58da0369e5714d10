/**
 * The release workflow's contract: its name, task queue, input and result, states and messages. Playbooks, the CLI and
 * outside tools depend on these names; they do not change meaning.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalVerification, VerifiedApproval, VerifiedRequester } from './approval-token.js';
import type { DeviceHealth, MachineCheck } from './machine-actions.js';

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
  /** 1–1000 characters, sent to Defender with the release's correlation tag appended. */
  comment: string;
  /** Who or what asked, e.g. `playbook:incident-42` or `alice@contoso.com`. */
  requestedBy: string;
  /**
   * A person's proof of who asks (a request token from the approvals page, bound to this workflow id), where the
   * tenant requires verified approvals; a `playbook:` requester needs none. Never kept past validation.
   */
  requestToken?: string;
  incidentId?: string;
  approval?: ApprovalRequest;
  /** How often the tenant's watcher looks at the machine action; '1s' to '24h', default '30s'. */
  pollInterval?: DurationInput;
  /** How long to follow the machine action once sent; default '72h'. */
  deadline?: DurationInput;
  /**
   * The Defender tenant (MSSP): a name the worker was configured with (`DEFENDER_TENANTS_FILE`). Credentials and base
   * URLs live on the worker, never in the request. Absent: the worker's default tenant.
   */
  tenant?: string;
  /** Set by a bulk release: its workflow id, which the release tells how it ended. Honoured from the parent only. */
  reportTo?: string;
  /** Set by a bulk release, which already read the machine and its isolation actions in batches. */
  precheck?: MachineCheck;
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
  precheck: MachineCheck | null;
  /** Set when a request token proved who asked: `requestedBy` is then the token's `upn`. */
  requester?: VerifiedRequester;
}

export type ReleaseOutcome = 'released' | 'already-released';

export interface ReleaseResult {
  outcome: ReleaseOutcome;
  machineActionId?: string;
  requestedBy: string;
  approvedBy?: string;
  completedAt: string;
  /**
   * Whether the release read that no isolation completed after it. False only when Defender said the action Succeeded
   * but its isolation history could not be read afterwards (see the contract's deadline rule).
   */
  verified: boolean;
}

/**
 * Where a release is: `status.state` and the current details on every change; the `ReleaseState` search attribute on
 * every change but to a brief state (`BRIEF_STATES`).
 */
export const RELEASE_STATES = {
  running: ['validating', 'checking', 'awaiting-approval', 'releasing', 'confirming', 'cancelling'],
  ended: [
    'released',
    'already-released',
    'rejected',
    'approval-expired',
    'invalid-input',
    'machine-not-found',
    'access-denied',
    'action-failed',
    'action-timed-out',
    'action-cancelled',
    'deadline-exceeded',
    'reisolated',
    'defender-error',
    'cancelled',
  ],
} as const;
export type ReleaseState = (typeof RELEASE_STATES.running)[number] | (typeof RELEASE_STATES.ended)[number];

/**
 * Short steps between waits (normally one Defender call each) that the search attribute records only when one ends a
 * wait for approval, so that lists of releases awaiting approval stay exact: otherwise it keeps the state before them
 * (`validating`), which saves a history event each. The `status` query and the current details show them.
 */
export const BRIEF_STATES: readonly string[] = ['checking', 'releasing'] satisfies ReleaseState[];

export function isEndState(state: string): boolean {
  return (RELEASE_STATES.ended as readonly string[]).includes(state);
}

/** Whether a string names a `ReleaseState` (e.g. a filter given on the command line). */
export function isReleaseState(state: string): state is ReleaseState {
  return isEndState(state) || (RELEASE_STATES.running as readonly string[]).includes(state);
}

export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
  /** The approver's comment, or the rejection reason. */
  comment: string | null;
  /** Pre-approved decisions were taken outside this workflow. */
  source: 'update' | 'pre-approved';
  /** Set when the decision was proven by a verified approval token: `by` is then the token's `upn`. */
  verified?: VerifiedApproval;
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
  /** Set when a request token proved `requestedBy` (a person, in a tenant that requires verified approvals). */
  requester?: VerifiedRequester;
  requestedAt: string;
  approval: {
    mode: 'required' | 'pre-approved' | null;
    approvers: string[] | null;
    expiresAt: string | null;
    decision: ApprovalDecision | null;
    /**
     * The tenant's rule for decisions: `required` (a verified approval token) or `off` (named approvals, the
     * approver not verified). `required` until validation says otherwise: an early decision meets the strictest rule.
     */
    verification?: ApprovalVerification;
  };
  machineAction: {
    id: string;
    /** The last status this workflow learned from Defender. */
    status: string;
    how: 'posted' | 'adopted-in-flight' | 'adopted-after-unknown-outcome';
    submittedAt: string;
  } | null;
  /** An Isolate that was still in flight and cancelled before the release, so it cannot complete after it. */
  cancelledIsolationActionId: string | null;
  /**
   * What isolated the machine: its newest succeeded Isolate, as the check read it. Null when the check found the
   * machine not isolated; absent before the check and in runs recorded before releases carried it.
   */
  isolation?: IsolationEvidence | null;
  /** The device's health and last seen when the release awaits a decision; absent when not read. */
  device?: DeviceHealth | null;
  lastError: { type: string; message: string } | null;
  result: ReleaseResult | null;
  /**
   * Who cancelled the release and why, through the `cancelRelease` update. Null otherwise, also after a plain Temporal
   * cancellation (the UI's button, `temporal workflow cancel`), which carries neither.
   */
  cancellation: ReleaseCancellation | null;
}

/** The isolating action, as an approver weighs it: since when, by whom, and why (Defender's words, bounded). */
export interface IsolationEvidence {
  actionId: string;
  /** When the Isolate succeeded (its last update), else when it was requested. */
  isolatedAt: string;
  /** The action's `requestor`: a person's UPN, or an app's name or client id. */
  isolatedBy: string | null;
  /** The action's `requestorComment`, cut to 1000 characters. */
  comment: string | null;
}

/** A cancellation as recorded by the `cancelRelease` update. */
export interface ReleaseCancellation {
  by: string;
  reason: string;
  at: string;
}

/**
 * With verification `required`, `token` is required and the approver and comment come from it (an `approver` given
 * alongside must equal the token's `upn`); with `off`, `approver` is required and `token` is ignored.
 */
export interface ApproveInput {
  approver?: string;
  comment?: string;
  /** A signed approval token (compact JWS, see docs/contract.md). */
  token?: string;
}

export interface RejectInput {
  approver?: string;
  reason?: string;
  token?: string;
}

/** `by`: a name held to the same rules as an approver's; `reason`: 1–1000 characters of free text. */
export interface CancelReleaseInput {
  by: string;
  reason: string;
}

/** Accepted from `validating` on: a decision that arrives before the check is applied once approval is needed. */
export const approveUpdate = defineUpdate<ReleaseStatus, [ApproveInput]>('approve');
export const rejectUpdate = defineUpdate<ReleaseStatus, [RejectInput]>('reject');
export const statusQuery = defineQuery<ReleaseStatus>('status');
/**
 * Cancels a running release, recording who and why (a Temporal cancellation carries neither): the release then cancels
 * a still-pending Defender action and ends `cancelled`, as after a Temporal cancellation.
 */
export const cancelReleaseUpdate = defineUpdate<ReleaseStatus, [CancelReleaseInput]>('cancelRelease');
