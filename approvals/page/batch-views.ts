/**
 * A batch as its approver reviews it (who asked and why, the targets with what would happen to each, the digest the
 * approval names) and its progress after the decision. Every value is escaped by `html`.
 */
import type { BulkProgress } from '../../contract/index.js';
import type { AwaitingBatch } from './batches.js';
import { deviceFact, verificationFact } from './facts.js';
import { html, type SafeHtml } from './html.js';
import type { MayDecide } from './may-decide.js';
import type { SignedInUser } from './session.js';
import { decisionForm, layout, whoAmI } from './views.js';

/** States after which a batch does nothing more: its page stops refreshing. */
const BATCH_END_STATES = new Set([
  'completed',
  'dry-run',
  'rejected',
  'approval-expired',
  'invalid-input',
  'cancelled',
]);

const counted = (counts: Record<string, number> | undefined) =>
  Object.entries(counts ?? {})
    .map(([what, n]) => `${what}: ${n}`)
    .join(', ') || 'none';

function request(batch: AwaitingBatch): SafeHtml {
  const p = batch.progress;
  return html`<dt>Tenant</dt>
    <dd class="tenant">${p ? (p.tenant ?? 'default') : 'unknown'}</dd>
    <dt>Requested by</dt>
    <dd class="requester">${p?.requestedBy ?? 'unknown'}${p?.requester?.verified ? ' (verified)' : ''}</dd>
    <dt>Requested at</dt>
    <dd>${batch.startedAt}</dd>
    <dt>Incident</dt>
    <dd class="incident">${p?.incidentId ?? 'none'}</dd>
    <dt>Comment</dt>
    <dd class="comment">${batch.comment ?? 'not recorded'}</dd>
    <dt>Approvers</dt>
    <dd class="approvers">${p?.approval.approvers?.join(', ') ?? 'anyone but the requester'}</dd>
    <dt>Decision due by</dt>
    <dd class="expires">${p?.approval.expiresAt ?? 'unknown'}</dd>
    <dt>Decisions</dt>
    <dd class="verification">${verificationFact(p?.approval.verification)}</dd>`;
}

function targets(p: BulkProgress): SafeHtml {
  const shown = p.review?.shown ?? [];
  const rows = shown.map(
    (t) =>
      html`<tr>
        <td class="target">${t.machineId}</td>
        <td>${t.computerDnsName ?? 'unknown'}</td>
        <td>${t.wouldBe}</td>
        <td>${deviceFact(t.device)}</td>
      </tr>`,
  );
  const more = p.total - shown.length;
  return html`<table class="targets">
      <tr>
        <th>Machine</th>
        <th>Host name</th>
        <th>Would be</th>
        <th>Health, last seen</th>
      </tr>
      ${rows}
    </table>
    ${more > 0 ? html`<p class="more">and ${more} more targets (the digest covers all ${p.total})</p>` : null}`;
}

export function batchCard(batch: AwaitingBatch, may: MayDecide, csrf: string): SafeHtml {
  const p = batch.progress;
  return html`<section class="batch" data-workflow-id="${batch.workflowId}">
    <h2>Batch of ${p ? String(p.total) : 'unknown'} machines</h2>
    <p><a href="/batches/${encodeURIComponent(batch.workflowId)}">${batch.workflowId}</a></p>
    <dl>
      ${request(batch)}
      <dt>Target digest</dt>
      <dd class="digest">${p?.targetDigest ?? 'unknown'}</dd>
      <dt>Dry run</dt>
      <dd class="dry-run">${p?.review ? counted(p.review.wouldBe) : 'not available'}</dd>
    </dl>
    ${p ? targets(p) : null}
    ${
      may.ok
        ? decisionForm(batch, csrf, { action: '/batches/decide', targetDigest: p?.targetDigest ?? null })
        : html`<p class="why">You cannot decide: ${may.why}.</p>`
    }
  </section>`;
}

function batchOutcome(p: BulkProgress): SafeHtml {
  const d = p.approval.decision;
  return html`<dl>
    <dt>State</dt>
    <dd id="state">${p.state}</dd>
    <dt>Decision</dt>
    <dd id="decision">${d ? `${d.decision} by ${d.by} at ${d.at}` : 'none yet'}</dd>
    <dt>Machines</dt>
    <dd id="counts">${counted(p.counts)}</dd>
    <dt>Failed</dt>
    <dd>${p.failed.length === 0 ? 'none' : p.failed.map((f) => `${f.machineId}: ${f.type}`).join(', ')}</dd>
    <dt>Target digest</dt>
    <dd class="digest">${p.targetDigest ?? 'unknown'}</dd>
  </dl>`;
}

/**
 * A batch's own page (where a nudge links): while it awaits a decision, its review and the decision form, not
 * refreshed; then its progress, refreshed every 2 s until it ends, by its own state or, when it no longer answers, by
 * Temporal's record of the closed run.
 */
export function batchProgressView(user: SignedInUser, csrf: string, batch: AwaitingBatch, may: MayDecide): string {
  const p = batch.progress;
  const awaiting = batch.closedAs === null && p?.state === 'awaiting-approval' && p.approval.decision === null;
  const ended = batch.closedAs !== null || (p !== null && BATCH_END_STATES.has(p.state));
  return layout(
    `Batch ${batch.workflowId}`,
    html`${whoAmI(user, csrf)}
      <h1>Batch ${batch.workflowId}</h1>
      ${awaiting ? batchCard(batch, may, csrf) : null}
      ${batch.closedAs ? html`<p id="closed">Temporal closed the batch: ${batch.closedAs}.</p>` : null}
      ${p ? batchOutcome(p) : html`<p>The batch did not answer; this page refreshes.</p>`}
      <p><a href="/">Back to what awaits a decision</a></p>`,
    ended || awaiting ? {} : { refreshSeconds: 2 },
  );
}
