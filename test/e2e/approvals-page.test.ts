/**
 * The approvals page in a real browser (Debian's Chromium, playwright-core), against the run's dev server, the
 * Defender simulator, a release worker and the local demo identity provider: bob signs in, sees alice's release with
 * its evidence, approves it, and follows it to `released`; the update carried the page's signed approval token. Alice
 * sees no approve button on her own release, and a forced POST with her valid session and CSRF token is refused, as
 * are a POST without the token and one from another origin. Cookies are __Host-, HttpOnly, Secure, SameSite; no URL the
 * browser visited and no log line holds a token, a cookie value or a secret. Screenshots: test-results/approvals/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadApprovalsConfig } from '../../approvals/config.js';
import { getBulkProgress, startBulkRelease } from '../../client/bulk-client.js';
import { accountByUpn } from '../../approvals/idp/demo-accounts.js';
import { startApprovalsPage, type ApprovalsPage } from '../../approvals/service.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { launchChromium, releaseCardOn, signInAt } from '../helpers/approvals-browser.js';
import { RESULTS_DIR } from '../helpers/temporal.js';

const SCREENSHOTS = path.join(RESULTS_DIR, 'approvals');

describe('the approvals page', () => {
  let h: ReleaseHarness;
  let approvals: ApprovalsPage;
  let browser: Browser;
  const logs: string[] = [];
  const visited: string[] = [];
  const contexts: BrowserContext[] = [];

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    h = await startReleaseHarness('approvals-page');
    approvals = await startApprovalsPage({
      config: loadApprovalsConfig({ APPROVALS_BIND_ADDRESS: '127.0.0.1:0' }),
      client: h.client,
      dataDir: path.join(RESULTS_DIR, 'approvals', 'data'),
      log: (line) => logs.push(line),
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await approvals?.close();
    await h?.stop();
  });

  /** A fresh browser profile signed in as `upn`, its visits and (on the page under test) its cookies kept. */
  async function signIn(upn: string, at: ApprovalsPage = approvals): Promise<Page> {
    const page = await signInAt(browser, at.origin, upn, { onRequest: (url) => visited.push(url) });
    if (at === approvals) contexts.push(page.context());
    return page;
  }

  const releaseCard = (page: Page, workflowId: string, kind: 'release' | 'batch' = 'release') =>
    releaseCardOn(page, approvals.origin, workflowId, kind);

  async function awaitingRelease(host: string, incidentId: string) {
    const machineId = h.sim.addMachine({ isolated: true, computerDnsName: host, healthStatus: 'Inactive' }).id;
    const started = await h.start({ machineId, incidentId, approval: {} });
    await h.waitForState(started.workflowId, 'awaiting-approval');
    const { runId } = await started.handle.describe();
    return { machineId, workflowId: started.workflowId, runId, handle: started.handle };
  }

  it('bob signs in, sees alice’s release with its evidence, approves it, and it ends released', async () => {
    const release = await awaitingRelease('finance-11.contoso.com', 'INC-PAGE-1');
    const page = await signIn('bob@contoso.com');
    const card = await releaseCard(page, release.workflowId);
    assert.equal(await card.locator('.machine').textContent(), release.machineId);
    assert.equal(await card.locator('.host').textContent(), 'finance-11.contoso.com');
    assert.equal(await card.locator('.requester').textContent(), 'alice@contoso.com');
    assert.equal(await card.locator('.incident').textContent(), 'INC-PAGE-1');
    assert.equal(await card.locator('.comment').textContent(), 'Clean after re-imaging');
    assert.match((await card.locator('.expires').textContent()) ?? '', /^\d{4}-\d\d-\d\dT/);
    // The evidence the release read at Defender: the simulator's Isolate (an hour ago, by the SOC) and the machine.
    assert.match(
      (await card.locator('.isolation').textContent()) ?? '',
      /^\d{4}-\d\d-\d\dT\S+ \((\d+ h )?\d+ min ago\) by soc-analyst@contoso\.com$/,
    );
    assert.equal(await card.locator('.isolation-comment').textContent(), 'Isolated during incident response');
    assert.match((await card.locator('.health').textContent()) ?? '', /^Inactive, last seen \d{4}-\d\d-\d\dT/);
    assert.match((await card.locator('.verification').textContent()) ?? '', /^(verified|named approvals)/);
    await card.screenshot({ path: path.join(SCREENSHOTS, '1-bob-sees-alices-release.png') });

    await card.locator('textarea[name=comment]').fill('Checked with the owner');
    await card.locator('button[value=approve]').click();
    await page.waitForURL(`**/releases/${release.workflowId}`);
    await page.locator('#state', { hasText: /^released$/ }).waitFor({ timeout: 60_000 });
    assert.match((await page.textContent('#decision')) ?? '', /^approved by bob@contoso\.com/);
    await page.screenshot({
      path: path.join(SCREENSHOTS, '2-bob-follows-the-release-to-released.png'),
      fullPage: true,
    });
    const status = await h.waitForState(release.workflowId, 'released');
    assert.equal(status.approval.decision?.by, 'bob@contoso.com');
    assert.equal(status.approval.decision?.comment, 'Checked with the owner');

    const token = await approvalTokenIn(release.handle);
    await verifyApprovalToken(token, { ...release, upn: 'bob@contoso.com', text: 'Checked with the owner' });
  });

  it('bob sees alice’s batch with its targets, digest and dry run, approves it, and follows it to its end', async () => {
    const machineIds = ['finance-21', 'finance-22', 'finance-23'].map(
      (name) => h.sim.addMachine({ isolated: true, computerDnsName: `${name}.contoso.com` }).id,
    );
    const workflowId = `bulk-approvals-page-${h.taskQueue}`;
    await startBulkRelease(
      h.client,
      { machineIds, comment: 'Outbreak contained', requestedBy: 'alice@contoso.com', incidentId: 'INC-PAGE-3' },
      { workflowId, taskQueue: h.taskQueue },
    );
    const page = await signIn('bob@contoso.com');
    const card = await releaseCard(page, workflowId, 'batch');
    const { targetDigest } = await getBulkProgress(h.client, workflowId);
    assert.deepEqual((await card.locator('.target').allTextContents()).sort(), [...machineIds].sort());
    assert.equal(await card.locator('.digest').textContent(), targetDigest);
    assert.equal(await card.locator('.dry-run').textContent(), 'would-release: 3');
    assert.equal(await card.locator('.requester').textContent(), 'alice@contoso.com');
    assert.equal(await card.locator('.incident').textContent(), 'INC-PAGE-3');
    assert.equal(await card.locator('.comment').textContent(), 'Outbreak contained');
    await card.screenshot({ path: path.join(SCREENSHOTS, '4-bob-sees-alices-batch.png') });

    await card.locator('textarea[name=comment]').fill('Reviewed the three hosts');
    await card.locator('button[value=approve]').click();
    await page.waitForURL(`**/batches/${workflowId}`);
    await page.locator('#state', { hasText: /^completed$/ }).waitFor({ timeout: 90_000 });
    assert.equal(await page.textContent('#counts'), 'released: 3');
    assert.match((await page.textContent('#decision')) ?? '', /^approved by bob@contoso\.com/);
    await page.screenshot({ path: path.join(SCREENSHOTS, '5-bob-follows-the-batch-to-its-end.png'), fullPage: true });
    for (const id of machineIds) assert.equal(h.unisolatePosts(id), 1);
  });

  it('alice sees no approve button on her own release, and a forced POST is refused', async () => {
    const release = await awaitingRelease('finance-12.contoso.com', 'INC-PAGE-2');
    const page = await signIn('alice@contoso.com');
    const card = await releaseCard(page, release.workflowId);
    assert.equal(await card.locator('button[value=approve]').count(), 0);
    assert.match((await card.locator('.why').textContent()) ?? '', /you requested this release/);
    await card.screenshot({ path: path.join(SCREENSHOTS, '3-alice-cannot-approve-her-own.png') });

    const csrf = await page.locator('#who input[name=csrf]').inputValue();
    const form = { workflowId: release.workflowId, runId: release.runId, decision: 'approve', comment: 'me' };
    const post = (fields: Record<string, string>, origin = approvals.origin) =>
      page.context().request.post(`${approvals.origin}/decide`, { form: fields, headers: { origin }, maxRedirects: 0 });
    const forced = await post({ ...form, csrf });
    assert.equal(forced.status(), 403);
    assert.match(await forced.text(), /four-eyes/);
    assert.equal((await post(form)).status(), 403, 'a POST without the CSRF token');
    assert.equal((await post({ ...form, csrf }, 'http://evil.example')).status(), 403, 'a cross-origin POST');
    assert.equal((await h.waitForState(release.workflowId, 'awaiting-approval')).approval.decision, null);
  });

  it('with APPROVALS_TENANT_GROUPS, only the tenant’s group sees and decides its releases', async () => {
    const release = await awaitingRelease('finance-13.contoso.com', 'INC-PAGE-4');
    const grouped = await startApprovalsPage({
      config: loadApprovalsConfig({
        APPROVALS_BIND_ADDRESS: '127.0.0.1:0',
        APPROVALS_TENANT_GROUPS: 'default=soc-approvers',
      }),
      client: h.client,
      dataDir: path.join(RESULTS_DIR, 'approvals', 'data'),
      log: (line) => logs.push(line),
    });
    try {
      const bob = await signIn('bob@contoso.com', grouped);
      const card = bob.locator(`section.release[data-workflow-id="${release.workflowId}"]`);
      for (let attempt = 0; attempt < 30 && (await card.count()) === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await bob.goto(`${grouped.origin}/`);
      }
      assert.equal(await card.locator('button[value=approve]').count(), 1, 'bob is in soc-approvers');

      const carol = await signIn('carol@contoso.com', grouped);
      await carol.screenshot({ path: path.join(SCREENSHOTS, '6-carol-sees-no-tenant-of-hers.png'), fullPage: true });
      assert.equal(await carol.locator(`section.release[data-workflow-id="${release.workflowId}"]`).count(), 0);
      const csrf = await carol.locator('#who input[name=csrf]').inputValue();
      const forced = await carol.context().request.post(`${grouped.origin}/decide`, {
        form: { csrf, workflowId: release.workflowId, runId: release.runId, decision: 'approve', comment: 'x' },
        headers: { origin: grouped.origin },
        maxRedirects: 0,
      });
      assert.equal(forced.status(), 403);
      assert.match(await forced.text(), /you do not decide for its tenant/);
      await carol.context().close();
      await bob.context().close();
    } finally {
      await grouped.close();
    }
    assert.equal((await h.waitForState(release.workflowId, 'awaiting-approval')).approval.decision, null);
  });

  it('cookies are __Host-, HttpOnly, Secure and SameSite; no URL or log line holds a token or secret', async () => {
    const cookies = (await Promise.all(contexts.map((c) => c.cookies(approvals.origin)))).flat();
    const sessions = cookies.filter((c) => c.name === '__Host-sid');
    assert.equal(sessions.length, contexts.length, cookies.map((c) => c.name).join(', '));
    for (const cookie of sessions) {
      assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path], [true, true, 'Lax', '/']);
    }
    const secrets = [...sessions.map((c) => c.value), 'eyJ'];
    for (const text of [...visited, ...logs]) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a secret or token in: ${text.slice(0, 80)}`);
      assert.doesNotMatch(text, /[?&#](id_token|access_token|token|client_secret|password)=/);
    }
    assert.ok(logs.some((line) => /bob@contoso\.com approves .* \(token sha256 [0-9a-f]{16}…\)/.test(line)));
    const jwks = (await (await fetch(`${approvals.origin}/.well-known/jwks.json`)).json()) as { keys: object[] };
    assert.equal(jwks.keys.length, 1);
    assert.ok(!('d' in jwks.keys[0]!), 'the JWKS holds the public key only');
  });

  /** The token the page sent with the approve update, from the release's history. */
  async function approvalTokenIn(handle: WorkflowHandle): Promise<string> {
    const history = await handle.fetchHistory();
    const accepted = history.events?.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const payload =
      accepted?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads?.[0];
    assert.ok(payload, 'no accepted update in the history');
    const input = defaultPayloadConverter.fromPayload<{ token?: string }>(payload);
    assert.equal(typeof input.token, 'string');
    return input.token!;
  }

  async function verifyApprovalToken(
    token: string,
    expected: { workflowId: string; runId: string; upn: string; text: string },
  ): Promise<JWTPayload> {
    const jwks = (await (await fetch(`${approvals.origin}/.well-known/jwks.json`)).json()) as Parameters<
      typeof createLocalJWKSet
    >[0];
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: approvals.origin,
      audience: 'defender-isolation',
      typ: 'defender-approval+jwt',
      algorithms: ['EdDSA'],
    });
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, accountByUpn(expected.upn)?.sub);
    assert.equal(payload.idp, approvals.issuer);
    assert.deepEqual(
      [payload.upn, payload.dec, payload.wid, payload.rid, payload.txt],
      [expected.upn, 'approve', expected.workflowId, expected.runId, expected.text],
    );
    assert.equal(payload.exp! - payload.iat!, 120);
    assert.equal(typeof payload.jti, 'string');
    return payload;
  }
});
