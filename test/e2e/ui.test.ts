/**
 * The Temporal Web UI, as a SOC analyst sees it: Debian's Chromium, driven by playwright-core, opens the dev server's
 * UI, filters workflows by DefenderMachineId, opens the release and finds its summary, who may approve it and until
 * when, its search attributes and status; then applies the analyst view `defender-isolation ui-view` ships and finds
 * the ReleaseState, IncidentId and DefenderMachineId columns and the saved views. Screenshots are kept in
 * test-results/ui/ (CI artifacts).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli } from '../../client/cli.js';
import type { ReleaseStatus } from '../../contract/index.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { RESULTS_DIR, testServer } from '../helpers/temporal.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(RESULTS_DIR, 'ui');
const APPROVER = 'bob@contoso.com';

/** Waits until the page or one of its frames shows `text`. */
async function waitForText(page: Page, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const texts = await Promise.all(page.frames().map((f) => f.innerText('body').catch(() => '')));
    if (texts.some((t) => t.replace(/\s+/g, ' ').includes(text))) return;
    if (Date.now() > deadline) assert.fail(`the UI never showed "${text}"`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Opens the workflow list with `query`, reloading until it lists `workflowId` (visibility is eventually consistent). */
async function openList(page: Page, url: string, workflowId: string): Promise<void> {
  const link = page.locator(`a[href*="/workflows/${workflowId}/"]`).first();
  for (let attempt = 0; ; attempt++) {
    await page.goto(url);
    const listed = await link.waitFor({ state: 'visible', timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    if (listed) return;
    if (attempt >= 10) assert.fail(`the UI never listed ${workflowId} at ${url}`);
  }
}

/** The list's row of `workflowId`, as column header → cell text. */
async function rowCells(page: Page, workflowId: string): Promise<Record<string, string>> {
  const headers = await page.locator('thead th').allInnerTexts();
  const row = page.locator('tr', { has: page.locator(`a[href*="/workflows/${workflowId}/"]`) }).first();
  const cells = await row.locator('td').allInnerTexts();
  return Object.fromEntries(headers.map((header, i) => [header.trim(), (cells[i] ?? '').trim()]));
}

/** "2026-12-03 09:00 UTC": how the current details give an approval's deadline. */
const minuteUtc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

describe('the release in the Temporal Web UI', () => {
  let h: ReleaseHarness;
  let browser: Browser;
  let page: Page;
  let ui: string;
  let namespace: string;
  let machineId: string;
  let workflowId: string;
  let waiting: ReleaseStatus;

  before(async () => {
    const uiUrl = (await testServer()).uiUrl;
    // Not a skip: a run without the browser or the UI is a broken run (.ci/run installs Debian's chromium).
    assert.ok(
      uiUrl,
      'TEMPORAL_TEST_UI_URL is not set: run through `npm test`, which starts the dev server with its UI',
    );
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
    ui = uiUrl;
    namespace = (await testServer()).namespace;
    mkdirSync(SCREENSHOTS, { recursive: true });
    h = await startReleaseHarness('ui');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    machineId = h.sim.addMachine({ isolated: true, computerDnsName: 'finance-07.contoso.com' }).id;
    const started = await h.start({ machineId, incidentId: 'INC-UI-1', approval: { approvers: [APPROVER] } });
    workflowId = started.workflowId;
    waiting = await h.waitForState(workflowId, 'awaiting-approval');
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('filter by DefenderMachineId, open the release: summary, who may approve until when, attributes, status', async () => {
    const query = encodeURIComponent(`DefenderMachineId="${machineId}"`);
    await openList(page, `${ui}/namespaces/${namespace}/workflows?query=${query}`, workflowId);
    await page.screenshot({ path: path.join(SCREENSHOTS, '1-workflows-filtered-by-machine.png'), fullPage: true });

    await page.locator(`a[href*="/workflows/${workflowId}/"]`).first().click();
    await page.waitForURL(new RegExp(`/workflows/${workflowId}/`));
    await page.getByText('releaseMachine', { exact: true }).first().waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, '2-release-timeline.png'), fullPage: true });

    // Summary and current details (User Metadata), rendered as markdown inside sandboxed iframes.
    await page.getByText('User Metadata', { exact: true }).first().click();
    await waitForText(page, `Release ${machineId.slice(0, 8)}… from isolation for incident INC-UI-1`);
    // While awaiting approval the page itself says who may approve and until when, not only the status query.
    await waitForText(page, `Awaiting approval by ${APPROVER} until ${minuteUtc(waiting.approval.expiresAt!)}`);
    await waitForText(page, 'Release of finance-07.contoso.com');
    await waitForText(page, 'requested by alice@contoso.com');
    await page.screenshot({ path: path.join(SCREENSHOTS, '3-release-summary.png'), fullPage: true });

    await page.getByText('Search Attributes', { exact: true }).first().click();
    await waitForText(page, `"DefenderMachineId": "${machineId}"`);
    await waitForText(page, '"IncidentId": "INC-UI-1"');
    await waitForText(page, '"ReleaseState": "awaiting-approval"');
    await page.screenshot({ path: path.join(SCREENSHOTS, '4-release-search-attributes.png'), fullPage: true });

    // The status query, answered by the running workflow through the UI.
    await page.getByText('Queries', { exact: true }).first().click();
    await page.getByRole('button', { name: 'Run Query' }).click();
    await waitForText(page, '"state": "awaiting-approval"');
    await waitForText(page, '"computerDnsName": "finance-07.contoso.com"');
    await page.screenshot({ path: path.join(SCREENSHOTS, '5-release-status-query.png'), fullPage: true });
  });

  it('approvers named like a markdown link, HTML or emphasis show as that text on the page', async () => {
    const forged = '[Approve here](https://evil.example/approve), <b>ciso</b> *now*';
    const other = h.sim.addMachine({ isolated: true, computerDnsName: 'finance-08.contoso.com' }).id;
    const started = await h.start({ machineId: other, approval: { approvers: [APPROVER, ...forged.split(', ')] } });
    const status = await h.waitForState(started.workflowId, 'awaiting-approval');
    const { runId } = await started.handle.describe();
    await page.goto(`${ui}/namespaces/${namespace}/workflows/${started.workflowId}/${runId}/history`);
    await page.getByText('User Metadata', { exact: true }).first().click();
    const until = minuteUtc(status.approval.expiresAt!);
    await waitForText(page, `Awaiting approval by one of ${APPROVER}, ${forged} until ${until}`);
    const details = page.frameLocator('#user-metadata-current-details');
    assert.equal(await details.locator('a, b, em').count(), 0, await details.locator('main').innerHTML());
    await page.screenshot({ path: path.join(SCREENSHOTS, '6-approver-named-like-a-link.png'), fullPage: true });
  });

  it('the analyst view from `defender-isolation ui-view`: release columns and saved views', async () => {
    const out: string[] = [];
    const code = await runCli(['ui-view', '--namespace', namespace, '--ui-url', ui, '--json'], {
      out: (line) => out.push(line),
      err: (line) => out.push(line),
    });
    assert.equal(code, 0, out.join('\n'));
    const view = JSON.parse(out.join('\n')) as { script: string; bookmarklet: string };
    assert.ok(view.bookmarklet.startsWith('javascript:'), 'a bookmarklet an analyst can save');
    const bookmarklet = decodeURIComponent(view.bookmarklet.slice('javascript:'.length));
    assert.equal(bookmarklet, view.script, 'the bookmarklet and the console script are one script');

    // Run on the UI's own page, as a bookmarklet or the console runs it: it keeps the view in the UI's localStorage
    // and reloads the page.
    await page.goto(`${ui}/namespaces/${namespace}/workflows`);
    await Promise.all([page.waitForEvent('load'), page.evaluate(bookmarklet)]);

    const query = encodeURIComponent(`DefenderMachineId="${machineId}"`);
    await openList(page, `${ui}/namespaces/${namespace}/workflows?query=${query}`, workflowId);
    const cells = await rowCells(page, workflowId);
    await page.screenshot({ path: path.join(SCREENSHOTS, '7-analyst-view-columns.png'), fullPage: true });
    assert.equal(cells.ReleaseState, 'awaiting-approval', JSON.stringify(cells));
    assert.equal(cells.IncidentId, 'INC-UI-1', JSON.stringify(cells));
    assert.equal(cells.DefenderMachineId, machineId, JSON.stringify(cells));

    // The saved view the analyst starts the day with, under the list's "Saved Views" menu.
    await page.goto(`${ui}/namespaces/${namespace}/workflows`);
    await page.getByTestId('saved-views-button').click();
    await page.getByText('Releases awaiting approval', { exact: true }).first().click();
    await page.waitForURL(/ReleaseState/);
    await openList(page, page.url(), workflowId);
    await page.screenshot({ path: path.join(SCREENSHOTS, '8-analyst-view-awaiting-approval.png'), fullPage: true });
    assert.equal((await rowCells(page, workflowId)).ReleaseState, 'awaiting-approval');
  });
});
