/**
 * The generic JSON webhook (docs/nudges.md documents it): one flat, versioned document for a SOAR, a ticketing system
 * or a chat bridge. Values are as the workflow holds them, cut to size, unescaped: the receiver renders them.
 */
import type { NudgeRequest } from '../../contract/index.js';
import { headline, MAX_FIELD, pageLink } from './evidence.js';
import { truncate } from '../../contract/bounded-text.js';

export const WEBHOOK_KIND = 'defender-isolation.approval-awaited';

export function webhookPayload(nudge: NudgeRequest, pageUrl: string | undefined) {
  const cut = (text: string | null | undefined) => (typeof text === 'string' ? truncate(text, MAX_FIELD) : null);
  return {
    kind: WEBHOOK_KIND,
    version: 1,
    subject: nudge.subject,
    text: headline(nudge),
    link: pageLink(nudge, pageUrl),
    workflowId: nudge.workflowId,
    runId: nudge.runId,
    tenant: nudge.tenant ?? 'default',
    requestedBy: cut(nudge.requestedBy),
    incidentId: cut(nudge.incidentId),
    comment: cut(nudge.comment),
    expiresAt: nudge.expiresAt,
    verifiedApprovals: nudge.verification === 'required',
    ...(nudge.machine
      ? { machine: { id: nudge.machine.id, computerDnsName: cut(nudge.machine.computerDnsName) } }
      : {}),
    ...(nudge.targets ? { targets: { count: nudge.targets.count, digest: nudge.targets.digest } } : {}),
  };
}
