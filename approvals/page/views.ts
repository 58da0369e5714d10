/** The page's HTML, server-rendered; every value is escaped by `html`. No script: forms and a meta refresh. */
import { isEndState, type ReleaseStatus } from '../../contract/index.js';
import type { AwaitingRelease } from './awaiting.js';
import { deviceFact, verificationFact, withAge } from './facts.js';
import { html, SafeHtml } from './html.js';
import type { MayDecide } from './may-decide.js';
import type { SignedInUser } from './session.js';

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}
dl{display:grid;grid-template-columns:14rem 1fr;gap:.2rem 1rem}dt{font-weight:600}
section{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}.why{color:#8a4b00}
textarea{width:100%;min-height:4rem}table{border-collapse:collapse}td,th{padding:.1rem .6rem;text-align:left}`;

/** The one inline style: the content security policy allows it by its hash (app.ts). */
export const INLINE_STYLE = STYLE;
// Built outside `html`, whose template prettier indents: the element's text must be exactly the hashed style.
const STYLE_ELEMENT = new SafeHtml(`<style>${STYLE}</style>`);

export function layout(title: string, body: SafeHtml, options: { refreshSeconds?: number } = {}): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · Defender releases</title>
        ${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />` : null}
        ${STYLE_ELEMENT}
      </head>
      <body>
        ${body}
      </body>
    </html>`.value;
}

export function signInView(): string {
  return layout(
    'Sign in',
    html`<h1>Releases awaiting a decision</h1>
      <p>Sign in with your SOC account to see the releases you may decide.</p>
      <p><a id="sign-in" href="/login">Sign in</a></p>`,
  );
}

export function whoAmI(user: SignedInUser, csrf: string): SafeHtml {
  return html`<form method="post" action="/logout" id="who">
    Signed in as <strong id="upn">${user.upn}</strong>
    ${user.name ? html`(${user.name})` : null}
    <input type="hidden" name="csrf" value="${csrf}" /><button type="submit">Sign out</button>
  </form>`;
}

export function awaitingView(
  user: SignedInUser,
  csrf: string,
  releases: { release: AwaitingRelease; may: MayDecide }[],
  /** The batches' cards (batch-views.ts), rendered by the caller. */
  batchCards: SafeHtml[] = [],
): string {
  const cards = releases.map(({ release, may }) => releaseCard(release, may, csrf));
  return layout(
    'Awaiting a decision',
    html`${whoAmI(user, csrf)}
      <h1>Releases awaiting a decision</h1>
      ${cards.length === 0 ? html`<p id="none">Nothing awaits a decision.</p>` : cards}
      <h1>Batches awaiting a decision</h1>
      ${batchCards.length === 0 ? html`<p id="no-batches">No batch awaits a decision.</p>` : batchCards}`,
  );
}

function evidence(release: AwaitingRelease): SafeHtml {
  const s = release.status;
  return html`<dl>
    <dt>Machine</dt>
    <dd class="machine">${s?.machineId ?? 'unknown'}</dd>
    <dt>Host name</dt>
    <dd class="host">${s?.computerDnsName ?? 'unknown'}</dd>
    <dt>Tenant</dt>
    <dd class="tenant">${s ? (s.tenant ?? 'default') : 'unknown'}</dd>
    <dt>Requested by</dt>
    <dd class="requester">${s?.requestedBy ?? 'unknown'}${s?.requester?.verified ? ' (verified)' : ''}</dd>
    <dt>Requested at</dt>
    <dd>${s?.requestedAt ?? release.startedAt}</dd>
    <dt>Incident</dt>
    <dd class="incident">${s?.incidentId ?? 'none'}</dd>
    <dt>Comment</dt>
    <dd class="comment">${release.comment ?? 'not recorded'}</dd>
    <dt>Approvers</dt>
    <dd class="approvers">${s?.approval.approvers?.join(', ') ?? 'anyone but the requester'}</dd>
    <dt>Decision due by</dt>
    <dd class="expires">${s?.approval.expiresAt ?? 'unknown'}</dd>
    <dt>Decisions</dt>
    <dd class="verification">${verificationFact(s?.approval.verification)}</dd>
    ${isolationFacts(s)}
    <dt>Device health, last seen</dt>
    <dd class="health">${s ? deviceFact(s.device) : 'unknown'}</dd>
  </dl>`;
}

/** The isolating action: since when, by whom, and its comment (Defender's words, as untrusted as the requester's). */
function isolationFacts(s: ReleaseStatus | null): SafeHtml {
  const isolation = s?.isolation;
  const since =
    isolation === undefined
      ? 'not recorded by this release'
      : isolation === null
        ? 'not isolated as far as Defender knows'
        : `${withAge(isolation.isolatedAt)} by ${isolation.isolatedBy ?? 'unknown'}`;
  return html`<dt>Isolated since, by whom</dt>
    <dd class="isolation">${since}</dd>
    <dt>Isolating comment</dt>
    <dd class="isolation-comment">${isolation?.comment ?? 'none'}</dd>
    <dt>Isolating action</dt>
    <dd class="isolation-action">${isolation?.actionId ?? 'none'}</dd>`;
}

/** Approve or reject one run; a batch's form also carries the digest of the targets shown, which its approval names. */
export function decisionForm(
  target: { workflowId: string; runId: string },
  csrf: string,
  options: { action?: string; targetDigest?: string | null } = {},
): SafeHtml {
  return html`<form method="post" action="${options.action ?? '/decide'}" class="decide">
    <input type="hidden" name="csrf" value="${csrf}" />
    <input type="hidden" name="workflowId" value="${target.workflowId}" />
    <input type="hidden" name="runId" value="${target.runId}" />
    ${options.targetDigest ? html`<input type="hidden" name="targetDigest" value="${options.targetDigest}" />` : null}
    <label>Comment (a reason is required to reject) <textarea name="comment" maxlength="1000"></textarea></label>
    <button type="submit" name="decision" value="approve">Approve</button>
    <button type="submit" name="decision" value="reject">Reject</button>
  </form>`;
}

function releaseCard(release: AwaitingRelease, may: MayDecide, csrf: string): SafeHtml {
  return html`<section class="release" data-workflow-id="${release.workflowId}">
    <h2>${release.status?.computerDnsName ?? release.workflowId}</h2>
    <p><a href="/releases/${encodeURIComponent(release.workflowId)}">${release.workflowId}</a></p>
    ${evidence(release)}
    ${may.ok ? decisionForm(release, csrf) : html`<p class="why">You cannot decide: ${may.why}.</p>`}
  </section>`;
}

function outcome(status: ReleaseStatus): SafeHtml {
  const d = status.approval.decision;
  return html`<dl>
    <dt>State</dt>
    <dd id="state">${status.state}</dd>
    <dt>Decision</dt>
    <dd id="decision">${d ? `${d.decision} by ${d.by} at ${d.at}` : 'none yet'}</dd>
    <dt>Defender action</dt>
    <dd>${status.machineAction ? `${status.machineAction.id}: ${status.machineAction.status}` : 'none yet'}</dd>
    <dt>Result</dt>
    <dd>${status.result ? `${status.result.outcome} at ${status.result.completedAt}` : 'not yet'}</dd>
    <dt>Error</dt>
    <dd>${status.lastError ? `${status.lastError.type}: ${status.lastError.message}` : 'none'}</dd>
  </dl>`;
}

/**
 * A release's own page (where a nudge links): while it awaits a decision, its evidence and the decision form, not
 * refreshed (a comment may be being typed); then its progress, refreshed every 2 s until it ends.
 */
export function progressView(user: SignedInUser, csrf: string, release: AwaitingRelease, may: MayDecide): string {
  const status = release.status;
  const awaiting = status?.state === 'awaiting-approval' && status.approval.decision === null;
  const ended = status !== null && isEndState(status.state);
  return layout(
    `Release ${release.workflowId}`,
    html`${whoAmI(user, csrf)}
      <h1>Release of ${status?.computerDnsName ?? release.workflowId}</h1>
      ${awaiting ? releaseCard(release, may, csrf) : null}
      ${status ? outcome(status) : html`<p>The release did not answer; this page refreshes.</p>`}
      <p><a href="/">Back to the releases awaiting a decision</a></p>`,
    ended || awaiting ? {} : { refreshSeconds: 2 },
  );
}

export function messageView(title: string, message: string): string {
  return layout(
    title,
    html`<h1>${title}</h1>
      <p id="message">${message}</p>
      <p><a href="/">Back</a></p>`,
  );
}
