import { listSome, truncate } from '../../contract/bounded-text.js';
import type { ReleaseStatus } from '../../contract/index.js';
import { markdownText } from '../../contract/markdown.js';

// Defender's action ids are GUIDs and its statuses single words; anything longer is cut before it reaches the page.
const MAX_ACTION_ID = 64;
const MAX_ACTION_STATUS = 32;

/**
 * A release's current details, as the Temporal UI shows them on its page (User Metadata → Current Details): markdown
 * for a person, one short paragraph a fact. The first says where the release is and, while it awaits approval, who
 * may approve it and until when, so an analyst need not run the `status` query. Every value is bounded and escaped.
 */
export function currentDetails(s: ReleaseStatus): string {
  const paragraphs = [headline(s), subject(s)];
  if (s.approval.verification === 'off' && s.approval.mode === 'required') {
    paragraphs.push('**Named approvals: approver not verified** (approval verification is off for this tenant).');
  }
  const decision = s.approval.decision;
  if (decision) {
    const verb = decision.source === 'pre-approved' ? 'Pre-approved' : capitalised(decision.decision);
    paragraphs.push(`${verb} by ${markdownText(decision.by)}.`);
  }
  if (s.cancellation) {
    const { by, reason } = s.cancellation;
    paragraphs.push(`Cancelled by ${markdownText(by)}: ${markdownText(reason)}.`);
  }
  if (s.machineAction) {
    const id = markdownText(truncate(s.machineAction.id, MAX_ACTION_ID));
    paragraphs.push(`Machine action ${id}: ${markdownText(truncate(s.machineAction.status, MAX_ACTION_STATUS))}.`);
  }
  return paragraphs.join('\n\n');
}

/** "**Awaiting approval** by bob@contoso.com until 2026-12-03 09:00 UTC", or the state alone: "**Releasing**". */
function headline(s: ReleaseStatus): string {
  const state = `**${capitalised(s.state.replaceAll('-', ' '))}**`;
  if (s.state !== 'awaiting-approval') return state;
  const approvers = s.approval.approvers?.map(markdownText);
  const who = !approvers
    ? `anyone but ${markdownText(s.requestedBy ?? 'the requester')}`
    : approvers.length === 1
      ? approvers[0]
      : `one of ${listSome(approvers)}`;
  return s.approval.expiresAt ? `${state} by ${who} until ${minuteUtc(s.approval.expiresAt)}` : `${state} by ${who}`;
}

/** "Release of finance-07.contoso.com (`<machine id>`) for incident INC-42, requested by alice@contoso.com." */
function subject(s: ReleaseStatus): string {
  // A machine id is 40 hexadecimal characters once validated; the host name keeps host-name characters only.
  const machine = s.machineId ? `\`${s.machineId}\`` : null;
  const host = s.computerDnsName ? markdownText(s.computerDnsName) : null;
  let text = host && machine ? `Release of ${host} (${machine})` : machine ? `Release of ${machine}` : 'Release';
  if (s.incidentId) text += ` for incident ${markdownText(s.incidentId)}`;
  if (s.requestedBy) text += `, requested by ${markdownText(s.requestedBy)}`;
  return `${text}.`;
}

/** An ISO time to the minute, in UTC, as a person reads it: "2026-12-03 09:00 UTC" (cut, never rounded up). */
function minuteUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
