/**
 * What every nudge says, whatever the channel: the headline, the evidence lines and the link. Machine names, requesters
 * and comments come from requests (anyone who can start a workflow writes them), so each builder escapes them for its
 * own renderer; here they are only cut to size, so that a 1 MB comment cannot make a webhook refuse the message.
 */
import { truncate } from '../../contract/bounded-text.js';
import type { NudgeRequest } from '../../contract/index.js';

/** The longest a value taken from a request is shown, in characters (comments are at most 1000 anyway). */
export const MAX_FIELD = 300;

export interface Fact {
  name: string;
  /** Untrusted text, cut to MAX_FIELD: each channel escapes it. */
  value: string;
}

/** One plain-text line: "Release <id> for <host> awaits approval", or the batch's. Untrusted parts cut, not escaped. */
export function headline(nudge: NudgeRequest): string {
  if (nudge.subject === 'batch') {
    return `Batch ${cut(nudge.workflowId)} of ${nudge.targets?.count ?? '?'} machines awaits approval`;
  }
  const host = nudge.machine?.computerDnsName ?? nudge.machine?.id ?? '?';
  return `Release ${cut(nudge.workflowId)} for ${cut(host)} awaits approval`;
}

/** The evidence an approver decides on, in order. */
export function facts(nudge: NudgeRequest): Fact[] {
  const list: [string, string | null | undefined][] = [
    ['Machine', nudge.machine?.id],
    ['Host', nudge.machine?.computerDnsName],
    ['Targets', nudge.targets ? String(nudge.targets.count) : undefined],
    ['Target digest', nudge.targets?.digest],
    ['Requested by', nudge.requestedBy],
    ['Incident', nudge.incidentId],
    ['Comment', nudge.comment],
    ['Tenant', nudge.tenant ?? 'default'],
    ['Expires', nudge.expiresAt],
    ['Approvals', verificationText(nudge)],
  ];
  return list
    .filter((f): f is [string, string] => typeof f[1] === 'string')
    .map(([name, v]) => ({ name, value: cut(v) }));
}

/** Said loudly when off: with named approvals anyone who can send an update can claim to be an approver. */
export function verificationText(nudge: NudgeRequest): string {
  return nudge.verification === 'required'
    ? 'verified (signed approval tokens)'
    : 'NOT VERIFIED: named approvals, anyone who can send an update can claim to be an approver';
}

/**
 * The approvals page's own page of this release (`/releases/<workflowId>`) or batch (`/batches/<workflowId>`), where
 * it is decided while it awaits a decision. Null without a page URL.
 */
export function pageLink(nudge: NudgeRequest, pageUrl: string | undefined): string | null {
  if (!pageUrl) return null;
  const path = nudge.subject === 'release' ? 'releases' : 'batches';
  return `${new URL(pageUrl).origin}/${path}/${encodeURIComponent(nudge.workflowId)}`;
}

const cut = (text: string) => truncate(text.replace(/[\p{Cc}\u2028\u2029]/gu, ' '), MAX_FIELD);
