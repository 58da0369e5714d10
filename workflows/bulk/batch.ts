import * as wf from '@temporalio/workflow';
import type {
  ApprovalDecision,
  ApprovalVerification,
  BatchReview,
  BulkProgress,
  BulkReport,
  BulkState,
  MachineOutcome,
  NudgeChannel,
  ReleaseFailureType,
  ValidatedBulkRequest,
} from '../../contract/index.js';
import { newTokenLedger, type TokenLedger } from '../approval/token-ledger.js';
import { validatedOrBug } from '../validated.js';

/** What a batch carries from one run to the next (continue-as-new). */
export interface BulkResume {
  validated: ValidatedBulkRequest;
  targets: string[];
  digest: string;
  decision: ApprovalDecision;
  outcomes: Record<string, MachineOutcome>;
  nextIndex: number;
  run: number;
  /** Releases started by earlier runs that have not reported their outcome yet. */
  inFlight?: string[];
}

/** A batch as the world sees it: the `progress` query's answer, the report, and its end. */
export class Batch {
  readonly workflowId = wf.workflowInfo().workflowId;
  state: BulkState;
  targets: string[];
  digest: string | null;
  decision: ApprovalDecision | null;
  expiresAt: string | null = null;
  /** What the approver reviews: set once the targets are resolved (not carried to a later run). */
  review: BatchReview | undefined;
  readonly outcomes: Record<string, MachineOutcome>;
  readonly run: number;
  /** The request once validated (carried over by a later run). */
  validated: ValidatedBulkRequest | undefined;
  /** The tenant's rule for decisions, as validation said (a later run takes none: its decision was taken). */
  verification: ApprovalVerification | undefined;
  /** Approval tokens tried, and whether one is being verified. */
  readonly tokens: TokenLedger = newTokenLedger();
  /** The channels that nudge the tenant's approvers (a later run has none: it does not wait for a decision). */
  nudgeChannels: readonly NudgeChannel[] = [];

  constructor(resume: BulkResume | undefined) {
    this.state = resume ? 'releasing' : 'validating';
    this.validated = resume?.validated;
    this.targets = resume?.targets ?? [];
    this.digest = resume?.digest ?? null;
    this.decision = resume?.decision ?? null;
    this.outcomes = { ...(resume?.outcomes ?? {}) };
    this.run = resume?.run ?? 1;
  }

  /** The validated request; steps after validation only. */
  get request(): ValidatedBulkRequest {
    return validatedOrBug(this.validated, 'bulk request');
  }

  /** Ends the batch in failure with a non-retryable typed failure. */
  end(state: BulkState, type: ReleaseFailureType, message: string): never {
    this.state = state;
    throw wf.ApplicationFailure.create({ message, type, nonRetryable: true });
  }

  progress(): BulkProgress {
    const counts: Record<string, number> = {};
    const failed: { machineId: string; type: string }[] = [];
    for (const [machineId, outcome] of Object.entries(this.outcomes)) {
      const key = outcome.startsWith('failed:') ? 'failed' : outcome;
      counts[key] = (counts[key] ?? 0) + 1;
      if (outcome.startsWith('failed:')) failed.push({ machineId, type: outcome.slice('failed:'.length) });
    }
    const done = Object.keys(this.outcomes).length;
    if (this.targets.length > done) counts.pending = this.targets.length - done;
    return {
      workflowId: this.workflowId,
      state: this.state,
      dryRun: this.validated?.dryRun ?? false,
      total: this.targets.length,
      targetDigest: this.digest,
      counts,
      failed,
      approval: this.approvalProgress(),
      run: this.run,
      ...this.requestProgress(),
      ...(this.review ? { review: this.review } : {}),
    };
  }

  private approvalProgress(): BulkProgress['approval'] {
    const approval = this.validated?.approval;
    return {
      mode: approval?.kind ?? null,
      expiresAt: this.expiresAt,
      decision: this.decision,
      ...(approval ? { approvers: approval.kind === 'required' ? approval.approvers : null } : {}),
      ...(this.verification ? { verification: this.verification } : {}),
    };
  }

  /** Who asked, for which incident and tenant: what the approvals page shows and four-eyes compares. */
  private requestProgress(): Pick<BulkProgress, 'requestedBy' | 'requester' | 'incidentId' | 'tenant'> {
    const request = this.validated;
    if (!request) return {};
    const { requestedBy, requester, incidentId, tenant } = request;
    return { requestedBy, ...(requester ? { requester } : {}), incidentId, tenant };
  }

  report(): BulkReport {
    return {
      workflowId: this.workflowId,
      dryRun: this.request.dryRun,
      total: this.targets.length,
      targetDigest: this.digest!,
      ...(this.decision?.decision === 'approved' ? { approvedBy: this.decision.by } : {}),
      counts: this.progress().counts,
      outcomes: this.outcomes,
      completedAt: new Date().toISOString(),
    };
  }

  /** The next run's start: what this one decided and did, and where to go on. */
  resume(nextIndex: number, inFlight: string[]): BulkResume {
    return {
      validated: this.request,
      targets: this.targets,
      digest: this.digest!,
      decision: this.decision!,
      outcomes: this.outcomes,
      nextIndex,
      run: this.run + 1,
      ...(inFlight.length > 0 ? { inFlight } : {}),
    };
  }
}
