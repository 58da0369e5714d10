/**
 * Nudges: when a release or a batch starts awaiting a decision, a message to the tenant's configured channels. The
 * workflow knows only the channel names; the webhook URLs (secrets) stay in the worker's configuration, looked up by
 * the nudge activity from tenant and channel. Workflow-safe.
 */
import type { ApprovalVerification } from './approval-token.js';

export const NUDGE_CHANNELS = ['teams', 'slack', 'webhook'] as const;
/** Microsoft Teams (a Workflows webhook, Adaptive Card), Slack (incoming webhook), or a generic JSON webhook. */
export type NudgeChannel = (typeof NUDGE_CHANNELS)[number];

export const isNudgeChannel = (value: unknown): value is NudgeChannel =>
  typeof value === 'string' && (NUDGE_CHANNELS as readonly string[]).includes(value);

/**
 * `<taskQueue>-nudge`: nudges run on a queue of their own, whose server-side rate limit is their budget, so a burst of
 * releases awaiting approval never competes with Defender calls, and a webhook that answers slowly holds no release.
 */
export function nudgeTaskQueue(taskQueue: string): string {
  return `${taskQueue}-nudge`;
}

/** The evidence an approver reads in a nudge: what the workflow already holds, never a URL or a secret. */
export interface NudgeRequest {
  channel: NudgeChannel;
  subject: 'release' | 'batch';
  /** null: the default tenant. */
  tenant: string | null;
  workflowId: string;
  runId: string;
  requestedBy: string;
  incidentId: string | null;
  comment: string;
  /** When the approval expires (ISO 8601). */
  expiresAt: string;
  /** `off`: decisions are named, not proven; the nudge says so loudly. */
  verification: ApprovalVerification;
  /** A release's machine. */
  machine?: { id: string; computerDnsName: string | null };
  /** A batch's targets: how many, and the digest an approval is bound to. */
  targets?: { count: number; digest: string };
}

/** How the nudge activity fails. Retryable ones are retried by Temporal until the approval expires. */
export const NudgeFailureType = {
  /** Reset, refused, DNS: retried. */
  NetworkError: 'NudgeNetworkError',
  /** No answer within the request timeout: retried. */
  Timeout: 'NudgeTimeout',
  /** 5xx or 408: retried. */
  ServerError: 'NudgeServerError',
  /** 429: retried after Retry-After. */
  RateLimited: 'NudgeRateLimited',
  /** Any other 4xx, or a redirect (a revoked or mistyped webhook): sending again cannot help. */
  Refused: 'NudgeRefused',
  /** No URL for this tenant and channel on the worker that took the task (configurations differ): not retried. */
  NotConfigured: 'NudgeNotConfigured',
} as const;
export type NudgeFailureType = (typeof NudgeFailureType)[keyof typeof NudgeFailureType];

/** The nudge failures retrying cannot fix: the workflow's retry policy stops at them. */
export const NON_RETRYABLE_NUDGE_FAILURES: readonly NudgeFailureType[] = [
  NudgeFailureType.Refused,
  NudgeFailureType.NotConfigured,
];
