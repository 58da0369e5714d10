/** The bulk release workflow's contract: input, progress, report and messages. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalVerification, VerifiedRequester } from './approval-token.js';
import type { DeviceHealth } from './machine-actions.js';
import type {
  ApprovalDecision,
  ApprovalRequest,
  ApproveInput,
  DurationInput,
  RejectInput,
  ValidatedApproval,
} from './release.js';

export const BULK_WORKFLOW_TYPE = 'bulkRelease';
export const MAX_BULK_TARGETS = 10_000;

export interface BulkSelector {
  /** Machines carrying this tag. */
  machineTag?: string;
  /** A device group: its numeric id, or its name. */
  deviceGroup?: string;
  /** Isolated for at least this long (from the newest succeeded Isolate). */
  isolatedLongerThan?: DurationInput;
}

export interface BulkReleaseRequest {
  /** Explicit targets (up to 10,000), or… */
  machineIds?: string[];
  /** …a selector resolved through the API; its criteria combine (and). Always limited to isolated machines. */
  selector?: BulkSelector;
  comment: string;
  requestedBy: string;
  /** A person's request token for this batch's workflow id (see ReleaseRequest.requestToken). */
  requestToken?: string;
  incidentId?: string;
  /** One approval for the whole batch; same rules as a single release. */
  approval?: ApprovalRequest;
  /** Resolve and report the targets; release nothing. */
  dryRun?: boolean;
  /** Releases running at once (default 50). */
  concurrency?: number;
  pollInterval?: DurationInput;
  deadline?: DurationInput;
  /** The Defender tenant of every machine in the batch (see ReleaseRequest.tenant). */
  tenant?: string;
}

export interface ValidatedBulkRequest {
  machineIds: string[] | null;
  selector: { machineTag: string | null; deviceGroup: string | null; isolatedLongerThanMs: number | null } | null;
  comment: string;
  requestedBy: string;
  /** Set when a request token proved who asked: `requestedBy` is then the token's `upn`. */
  requester?: VerifiedRequester;
  incidentId: string | null;
  approval: ValidatedApproval;
  dryRun: boolean;
  concurrency: number;
  /** As given (the child releases validate it again), and in milliseconds. */
  pollInterval: string;
  pollIntervalMs: number;
  deadline: string;
  /** Null for the default tenant. */
  tenant: string | null;
}

/** Per machine: what happened (or, in a dry run, what would). */
export type MachineOutcome =
  | 'would-release'
  | 'released'
  | 'already-released'
  | 'not-found'
  | 'skipped-running'
  | 'cancelled'
  | `failed:${string}`;

export type BulkState =
  | 'validating'
  | 'resolving'
  | 'checking'
  | 'awaiting-approval'
  | 'releasing'
  | 'completed'
  | 'dry-run'
  | 'rejected'
  | 'approval-expired'
  | 'invalid-input'
  | 'cancelled';

export interface BulkProgress {
  workflowId: string;
  state: BulkState;
  dryRun: boolean;
  total: number;
  targetDigest: string | null;
  /** Machines per outcome so far; `pending` for those not finished. */
  counts: Record<string, number>;
  failed: { machineId: string; type: string }[];
  approval: {
    mode: 'required' | 'pre-approved' | null;
    expiresAt: string | null;
    decision: ApprovalDecision | null;
    /** Who may decide (null: anyone but the requester); absent before validation. */
    approvers?: string[] | null;
    /** The tenant's rule for decisions, once validated. */
    verification?: ApprovalVerification;
  };
  /** How many runs of this batch (continue-as-new) so far. */
  run: number;
  /** From the validated request; absent before validation. */
  requestedBy?: string;
  /** Set when a request token proved `requestedBy`. */
  requester?: VerifiedRequester;
  incidentId?: string | null;
  /** Null for the default tenant. */
  tenant?: string | null;
  /** What an approver reviews, once the targets are resolved (first run only: a later run carries the decision). */
  review?: BatchReview;
}

/** The batch's own dry run of its targets: what would happen to each, from the batch's read of them. */
export interface BatchReview {
  /** The first targets (at most BATCH_REVIEW_SHOWN), in target order; `total` says how many there are. */
  shown: BatchReviewTarget[];
  /** Targets per would-be outcome (`would-release`, `already-released`, `not-found`), over all targets. */
  wouldBe: Record<string, number>;
}

export interface BatchReviewTarget {
  machineId: string;
  computerDnsName: string | null;
  wouldBe: MachineOutcome;
  device: DeviceHealth | null;
}

/** How many targets a batch's review lists; the progress query's answer stays small whatever the batch's size. */
export const BATCH_REVIEW_SHOWN = 50;

export interface BulkReport {
  workflowId: string;
  dryRun: boolean;
  total: number;
  targetDigest: string;
  approvedBy?: string;
  counts: Record<string, number>;
  outcomes: Record<string, MachineOutcome>;
  completedAt: string;
}

/** An approval of a batch may name the digest the approver reviewed; it must match this batch's targets. */
export interface BulkApproveInput extends ApproveInput {
  targetDigest?: string;
}

export const bulkApproveUpdate = defineUpdate<BulkProgress, [BulkApproveInput]>('approve');
export const bulkRejectUpdate = defineUpdate<BulkProgress, [RejectInput]>('reject');
export const progressQuery = defineQuery<BulkProgress>('progress');

/**
 * A release started by a batch says it ended, so that a later run of the batch (continue-as-new) looks it up: a nudge
 * with the machine id only. The batch reads the outcome from Temporal's record of the release, never from the message.
 */
export interface ReleaseOutcomeReport {
  machineId: string;
}

export const releaseOutcomeSignal = defineSignal<[ReleaseOutcomeReport]>('releaseOutcome');
