/**
 * The approvals page without a server: its configuration (defaults, the rules a production provider must meet,
 * refusals that name the variable and never the value), its HTML (every value from a request escaped), and who may
 * decide (four-eyes with look-alikes folded, as the workflow's validator decides).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApprovalsConfigError, loadApprovalsConfig } from '../../approvals/config.js';
import type { AwaitingRelease } from '../../approvals/page/awaiting.js';
import type { AwaitingBatch } from '../../approvals/page/batches.js';
import { batchCard, batchProgressView } from '../../approvals/page/batch-views.js';
import { escapeHtml, html } from '../../approvals/page/html.js';
import { mayDecide, mayDecideBatch } from '../../approvals/page/may-decide.js';
import { decidesFor } from '../../approvals/page/tenant-access.js';
import { awaitingView, INLINE_STYLE, progressView } from '../../approvals/page/views.js';
import type { BulkProgress, ReleaseStatus } from '../../contract/index.js';

const SECRET = 'very-secret-value-123';

const external = {
  OIDC_ISSUER: 'https://login.microsoftonline.com/contoso/v2.0',
  OIDC_CLIENT_ID: 'approvals',
  OIDC_CLIENT_SECRET: SECRET,
  APPROVALS_PAGE_URL: 'https://approvals.contoso.com/',
};

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadApprovalsConfig(env);
  } catch (err) {
    assert.ok(err instanceof ApprovalsConfigError);
    assert.equal(err.name, 'ApprovalsConfigError');
    return err.message;
  }
  assert.fail('expected ApprovalsConfigError');
}

describe('approvals page configuration', () => {
  it('defaults: the local demo provider, 127.0.0.1:8091, a generated key, no approver group', () => {
    assert.deepEqual(loadApprovalsConfig({}), {
      identityProvider: { kind: 'local', host: '127.0.0.1' },
      cliClientId: null,
      approverGroup: null,
      pageUrl: null,
      bind: { host: '127.0.0.1', port: 8091 },
      signingKeyFile: null,
      tenantGroups: null,
    });
  });

  it('APPROVALS_TENANT_GROUPS: tenant=group pairs, each tenant once; a refusal names the rule, not the value', () => {
    const config = loadApprovalsConfig({ APPROVALS_TENANT_GROUPS: ' default=soc-approvers, fabrikam = Fabrikam SOC ' });
    assert.deepEqual(config.tenantGroups, { default: 'soc-approvers', fabrikam: 'Fabrikam SOC' });
    for (const bad of [`Fabrikam=${SECRET}`, `a=b,a=c`, `a=${SECRET}=x`, 'a', `constructor=x,constructor=${SECRET}`]) {
      const message = refusal({ APPROVALS_TENANT_GROUPS: bad });
      assert.match(message, /APPROVALS_TENANT_GROUPS: must be tenant=group pairs/);
      assert.ok(!message.includes(SECRET), message);
    }
  });

  it('an external provider with its client, the page URL as an origin, the group and key file', () => {
    const config = loadApprovalsConfig({
      ...external,
      OIDC_APPROVER_GROUP: 'soc-approvers',
      APPROVALS_BIND_ADDRESS: '[::]:443',
      APPROVALS_SIGNING_KEY_FILE: '/run/secrets/approvals.jwk',
      OIDC_CLI_CLIENT_ID: '5f0c1b2a-cli',
    });
    assert.equal(config.identityProvider.kind, 'external');
    assert.equal(config.cliClientId, '5f0c1b2a-cli');
    assert.equal(config.pageUrl, 'https://approvals.contoso.com');
    assert.deepEqual(config.bind, { host: '::', port: 443 });
    assert.equal(config.approverGroup, 'soc-approvers');
    assert.equal(config.signingKeyFile, '/run/secrets/approvals.jwk');
  });

  it('refusals name the variable and the rule, never the value', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ ...external, OIDC_CLIENT_SECRET: undefined }, /OIDC_CLIENT_SECRET: is required with OIDC_ISSUER/],
      [{ ...external, APPROVALS_PAGE_URL: undefined }, /APPROVALS_PAGE_URL: is required with OIDC_ISSUER/],
      [{ ...external, OIDC_ISSUER: `http://idp.contoso.com/${SECRET}` }, /OIDC_ISSUER: must be https/],
      [{ ...external, APPROVALS_PAGE_URL: `https://u:${SECRET}@x.contoso.com` }, /must not carry credentials/],
      [{ ...external, APPROVALS_PAGE_URL: `https://x.contoso.com/?k=${SECRET}` }, /must have no query or fragment/],
      [{ OIDC_CLIENT_SECRET: SECRET }, /OIDC_CLIENT_SECRET: needs OIDC_ISSUER/],
      [{ APPROVALS_PAGE_URL: 'https://approvals.contoso.com' }, /without OIDC_ISSUER .* must be on a loopback address/],
      [{ OIDC_CLI_CLIENT_ID: 'cli' }, /OIDC_CLI_CLIENT_ID: needs OIDC_ISSUER/],
      [{ APPROVALS_BIND_ADDRESS: `${SECRET}` }, /APPROVALS_BIND_ADDRESS: must be host:port/],
      [{ APPROVALS_BIND_ADDRESS: '127.0.0.1:70000' }, /port must be at most 65535/],
      [{ APPROVALS_LOCAL_IDP_HOST: SECRET }, /APPROVALS_LOCAL_IDP_HOST: must be '127.0.0.1' or '0.0.0.0'/],
    ];
    for (const [env, expected] of cases) {
      const message = refusal(env);
      assert.match(message, expected);
      assert.ok(!message.includes(SECRET), message);
    }
  });

  it('the local provider binds 0.0.0.0 only when told to (a container publishing its port on loopback)', () => {
    assert.deepEqual(loadApprovalsConfig({ APPROVALS_LOCAL_IDP_HOST: '0.0.0.0' }).identityProvider, {
      kind: 'local',
      host: '0.0.0.0',
    });
  });

  it('http is accepted for a loopback issuer and page only', () => {
    const config = loadApprovalsConfig({
      ...external,
      OIDC_ISSUER: 'http://127.0.0.1:8090',
      APPROVALS_PAGE_URL: 'http://localhost:8091',
    });
    assert.equal(config.pageUrl, 'http://localhost:8091');
  });
});

const hostile = `<script>alert(1)</script>"'&`;

function status(overrides: Partial<ReleaseStatus> = {}): ReleaseStatus {
  return {
    workflowId: 'release-1',
    state: 'awaiting-approval',
    machineId: 'a'.repeat(40),
    tenant: null,
    computerDnsName: hostile,
    incidentId: hostile,
    requestedBy: 'alice@contoso.com',
    requestedAt: '2026-12-02T10:00:00.000Z',
    approval: { mode: 'required', approvers: null, expiresAt: '2026-12-03T10:00:00.000Z', decision: null },
    machineAction: null,
    cancelledIsolationActionId: null,
    lastError: null,
    result: null,
    cancellation: null,
    ...overrides,
  };
}

const user = { idp: 'http://127.0.0.1:8090', sub: 'b0', upn: 'bob@contoso.com', name: hostile };

describe('approvals page HTML', () => {
  it('escapes every character HTML gives meaning to, and nests html without escaping it twice', () => {
    assert.equal(escapeHtml(hostile), '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    assert.equal(html`<p>${html`<b>${'<i>'}</b>`}</p>`.value, '<p><b>&lt;i&gt;</b></p>');
  });

  it('a release whose host, incident, comment and workflow id are markup shows them as text', () => {
    const release: AwaitingRelease = {
      workflowId: `release-"><script>x</script>`,
      runId: `run"'<`,
      startedAt: '2026-12-02T10:00:00.000Z',
      comment: hostile,
      status: status(),
    };
    const page = awaitingView(user, `csrf"<`, [{ release, may: { ok: true } }]);
    assert.ok(!page.includes('<script>'), page);
    assert.ok(page.includes(`<style>${INLINE_STYLE}</style>`), 'the style is exactly what the policy hashes');
    assert.ok(page.includes('value="run&quot;&#39;&lt;"'), 'an attribute value stays inside its quotes');
    assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(page, /href="\/releases\/release-%22%3E%3Cscript%3Ex%3C%2Fscript%3E"/);
    const may = { ok: true } as const;
    const progress = progressView(user, 'csrf', { ...release, status: status({ state: 'released' }) }, may);
    assert.ok(!progress.includes('<script>'));
    assert.ok(!progress.includes('http-equiv="refresh"'), 'an ended release is not refreshed');
    assert.ok(!progress.includes('name="decision"'), 'an ended release has no decision form');
    const running = progressView(user, 'csrf', { ...release, status: status({ state: 'releasing' }) }, may);
    assert.ok(running.includes('http-equiv="refresh"'));
    // Its own page, where a nudge links, decides it while it awaits: not refreshed, so a comment being typed stays.
    const awaiting = progressView(user, 'csrf', { ...release, status: status({ state: 'awaiting-approval' }) }, may);
    assert.ok(awaiting.includes('value="approve"') && !awaiting.includes('http-equiv="refresh"'), awaiting);
    const requester = { ok: false, code: 'requester', why: 'you requested this release' } as const;
    const own = progressView(user, 'csrf', { ...release, status: status({ state: 'awaiting-approval' }) }, requester);
    assert.ok(!own.includes('value="approve"') && own.includes('You cannot decide: you requested this release'));
  });
});

function batchProgress(overrides: Partial<BulkProgress> = {}): BulkProgress {
  const shown = Array.from({ length: 50 }, (_, i) => ({
    machineId: i.toString(16).padStart(40, '0'),
    computerDnsName: i === 0 ? hostile : `pc-${i}.contoso.com`,
    wouldBe: 'would-release' as const,
    device: i === 0 ? { healthStatus: hostile, lastSeen: null } : null,
  }));
  return {
    workflowId: 'bulk-1',
    state: 'awaiting-approval',
    dryRun: false,
    total: 120,
    targetDigest: 'f'.repeat(64),
    counts: { pending: 120 },
    failed: [],
    approval: { mode: 'required', expiresAt: '2026-12-03T10:00:00.000Z', decision: null, approvers: null },
    run: 1,
    requestedBy: 'alice@contoso.com',
    incidentId: hostile,
    tenant: null,
    review: { shown, wouldBe: { 'would-release': 118, 'not-found': 2 } },
    ...overrides,
  };
}

describe('approvals page: evidence and batches', () => {
  it("a release shows its isolating action, who isolated it and why, the device's health, the rule for decisions", () => {
    const release: AwaitingRelease = {
      workflowId: 'release-2',
      runId: 'run',
      startedAt: '2026-12-02T10:00:00.000Z',
      comment: 'clean',
      status: status({
        isolation: {
          actionId: '11111111-1111-1111-1111-111111111111',
          isolatedAt: '2026-12-01T08:00:01.2011911Z',
          isolatedBy: hostile,
          comment: `ransomware ${hostile}`,
        },
        device: { healthStatus: 'ImpairedCommunication', lastSeen: '2026-12-01T07:42:13.2011911Z' },
        approval: { ...status().approval, verification: 'off' },
      }),
    };
    const page = awaitingView(user, 'csrf', [{ release, may: { ok: true } }]);
    assert.ok(!page.includes('<script>'), page);
    assert.match(page, /class="isolation">2026-12-01T08:00:01\.2011911Z \(\d+ d \d+ h ago\) by &lt;script&gt;/);
    assert.match(page, /class="isolation-comment">ransomware &lt;script&gt;/);
    assert.match(page, /class="health">ImpairedCommunication, last seen 2026-12-01T07:42:13\.2011911Z/);
    assert.match(page, /class="verification">named approvals: the approver is not verified/);
    const older = awaitingView(user, 'csrf', [{ release: { ...release, status: status() }, may: { ok: true } }]);
    assert.match(older, /class="isolation">not recorded by this release/);
    assert.match(older, /class="health">not read/);
  });

  it('a batch lists its first 50 targets and the count of the rest, its digest and dry run, all escaped', () => {
    const batch: AwaitingBatch = {
      workflowId: `bulk-"><script>x</script>`,
      runId: 'run',
      startedAt: '2026-12-02T10:00:00.000Z',
      comment: hostile,
      progress: batchProgress(),
      closedAs: null,
    };
    const card = batchCard(batch, { ok: true }, 'csrf').value;
    assert.ok(!card.includes('<script>'), card);
    assert.equal(card.match(/class="target"/g)?.length, 50);
    assert.match(card, /and 70 more targets \(the digest covers all 120\)/);
    assert.match(card, new RegExp(`class="digest">${'f'.repeat(64)}<`));
    assert.match(card, /class="dry-run">would-release: 118, not-found: 2</);
    assert.match(card, new RegExp(`name="targetDigest" value="${'f'.repeat(64)}"`));
    assert.match(card, /action="\/batches\/decide"/);
    const may = { ok: true } as const;
    const done = batchProgressView(user, 'csrf', { ...batch, progress: batchProgress({ state: 'completed' }) }, may);
    assert.ok(!done.includes('<script>') && !done.includes('http-equiv="refresh"'));
    assert.ok(!done.includes('name="decision"'), 'an ended batch has no decision form');
    const awaiting = batchProgressView(user, 'csrf', batch, may);
    assert.ok(awaiting.includes('action="/batches/decide"') && !awaiting.includes('http-equiv="refresh"'));
    assert.ok(batchProgressView(user, 'csrf', { ...batch, progress: null }, may).includes('http-equiv="refresh"'));
    const closed = batchProgressView(user, 'csrf', { ...batch, progress: null, closedAs: 'FAILED' }, may);
    assert.ok(!closed.includes('http-equiv="refresh"') && closed.includes('FAILED'));
  });

  it('a batch is decided by the same rules: not its requester, one of its approvers, only while it awaits', () => {
    assert.equal(mayDecideBatch('bob@contoso.com', batchProgress()).ok, true);
    assert.equal(mayDecideBatch('аlice@contoso.com', batchProgress()).ok, false); // Cyrillic а
    const listed = batchProgress({ approval: { ...batchProgress().approval, approvers: ['carol@contoso.com'] } });
    assert.equal(mayDecideBatch('bob@contoso.com', listed).ok, false);
    assert.equal(mayDecideBatch('carol@contoso.com', listed).ok, true);
    assert.equal(mayDecideBatch('bob@contoso.com', batchProgress({ state: 'releasing' })).ok, false);
    assert.equal(mayDecideBatch('bob@contoso.com', batchProgress({ requestedBy: undefined })).ok, false);
    assert.equal(mayDecideBatch('bob@contoso.com', null).ok, false);
  });
});

describe('who may decide', () => {
  it('not the requester, nor a look-alike of the requester', () => {
    assert.equal(mayDecide('bob@contoso.com', status()).ok, true);
    assert.equal(mayDecide('ALICE@contoso.com', status()).ok, false);
    assert.equal(mayDecide('аlice@contoso.com', status()).ok, false); // Cyrillic а
  });

  it('one of the approvers when a list was given; only while awaiting a decision', () => {
    const listed = status({
      approval: { mode: 'required', approvers: ['carol@contoso.com'], expiresAt: null, decision: null },
    });
    assert.deepEqual(mayDecide('bob@contoso.com', listed), {
      ok: false,
      code: 'not-approver',
      why: 'you are not one of its approvers',
    });
    assert.equal(mayDecide('Carol@contoso.com', listed).ok, true);
    assert.equal(mayDecide('bob@contoso.com', status({ state: 'releasing' })).ok, false);
    assert.equal(mayDecide('bob@contoso.com', null).ok, false);
  });
});

describe('who may decide for a tenant (APPROVALS_TENANT_GROUPS)', () => {
  const groups = { default: 'soc-approvers', fabrikam: 'fabrikam-soc' };
  const bob = { ...user, groups: ['soc-approvers'] };
  it('only those in the tenant’s group; everyone when not configured; nobody for a tenant not named or not told', () => {
    assert.equal(decidesFor(bob, null, groups), true, 'the default tenant');
    assert.equal(decidesFor(bob, 'fabrikam', groups), false);
    assert.equal(decidesFor({ ...user, groups: ['fabrikam-soc'] }, 'fabrikam', groups), true);
    assert.equal(decidesFor(bob, 'contoso', groups), false, 'a tenant the setting does not name');
    assert.equal(decidesFor(bob, 'constructor', groups), false);
    assert.equal(decidesFor(bob, undefined, groups), false, 'a release that did not say its tenant');
    assert.equal(decidesFor(user, 'fabrikam', null), true, 'not configured: every tenant, for everyone');
  });
});
