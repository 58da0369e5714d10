/**
 * The approvals page without a server: its configuration (defaults, the rules a production provider must meet,
 * refusals that name the variable and never the value), its HTML (every value from a request escaped), and who may
 * decide (four-eyes with look-alikes folded, as the workflow's validator decides).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApprovalsConfigError, loadApprovalsConfig } from '../../approvals/config.js';
import type { AwaitingRelease } from '../../approvals/page/awaiting.js';
import { escapeHtml, html } from '../../approvals/page/html.js';
import { mayDecide } from '../../approvals/page/may-decide.js';
import { awaitingView, progressView } from '../../approvals/page/views.js';
import type { ReleaseStatus } from '../../contract/index.js';

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
    });
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
    assert.ok(page.includes('value="run&quot;&#39;&lt;"'), 'an attribute value stays inside its quotes');
    assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(page, /href="\/releases\/release-%22%3E%3Cscript%3Ex%3C%2Fscript%3E"/);
    const progress = progressView(user, 'csrf', { ...release, status: status({ state: 'released' }) });
    assert.ok(!progress.includes('<script>'));
    assert.ok(!progress.includes('http-equiv="refresh"'), 'an ended release is not refreshed');
    const running = progressView(user, 'csrf', { ...release, status: status({ state: 'releasing' }) });
    assert.ok(running.includes('http-equiv="refresh"'));
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
