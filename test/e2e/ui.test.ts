/**
 * The Temporal Web UI, as a person sees it: Debian's Chromium, driven by playwright-core, opens the dev server's UI,
 * filters workflows by DefenderMachineId, opens the release and finds its summary, search attributes and status.
 * Screenshots are kept in test-results/ui/ (CI artifacts).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { RESULTS_DIR, testServer } from '../helpers/temporal.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(RESULTS_DIR, 'ui');

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

describe('the release in the Temporal Web UI', () => {
  let h: ReleaseHarness;
  let browser: Browser;
  let page: Page;
  let ui: string | undefined;

  before(async () => {
    ui = (await testServer()).uiUrl;
    // Not a skip: a run without the browser or the UI is a broken run (.ci/run installs Debian's chromium).
    assert.ok(ui, 'TEMPORAL_TEST_UI_URL is not set: run through `npm test`, which starts the dev server with its UI');
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    h = await startReleaseHarness('ui');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('filter by DefenderMachineId, open the release, see its summary, search attributes and status', async () => {
    const machine = h.sim.addMachine({ isolated: true, computerDnsName: 'finance-07.contoso.com' });
    const { workflowId } = await h.start({ machineId: machine.id, incidentId: 'INC-UI-1' });
    await h.waitForState(workflowId, 'awaiting-approval');

    // The list, filtered the way an analyst would: by the machine.
    const query = encodeURIComponent(`DefenderMachineId="${machine.id}"`);
    const link = page.locator(`a[href*="/workflows/${workflowId}/"]`).first();
    for (let attempt = 0; ; attempt++) {
      await page.goto(`${ui}/namespaces/${h.env.namespace}/workflows?query=${query}`);
      // Visibility is eventually consistent: reload until the release is listed.
      const listed = await link.waitFor({ state: 'visible', timeout: 5_000 }).then(
        () => true,
        () => false,
      );
      if (listed) break;
      if (attempt >= 10) assert.fail(`the UI never listed ${workflowId} for DefenderMachineId="${machine.id}"`);
    }
    const rows = await page.locator(`a[href*="/workflows/"][href*="${machine.id}"]`).count();
    assert.ok(rows >= 1, 'the filtered list shows the release');
    await page.screenshot({ path: path.join(SCREENSHOTS, '1-workflows-filtered-by-machine.png'), fullPage: true });

    await link.click();
    await page.waitForURL(new RegExp(`/workflows/${workflowId}/`));
    await page.getByText('releaseMachine', { exact: true }).first().waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, '2-release-timeline.png'), fullPage: true });

    // Summary and current details (User Metadata).
    await page.getByText('User Metadata', { exact: true }).first().click();
    // The UI renders summaries and details as markdown inside sandboxed iframes.
    await waitForText(page, `Release ${machine.id.slice(0, 8)}… from isolation for incident INC-UI-1`);
    await waitForText(page, 'awaiting-approval — release of finance-07.contoso.com');
    await page.screenshot({ path: path.join(SCREENSHOTS, '3-release-summary.png'), fullPage: true });

    // Search attributes.
    await page.getByText('Search Attributes', { exact: true }).first().click();
    await waitForText(page, `"DefenderMachineId": "${machine.id}"`);
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
});
