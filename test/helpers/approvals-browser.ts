/**
 * The approvals page driven as a person drives it: Debian's Chromium through playwright-core, signing in at the local
 * demo identity provider with a demo account.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../approvals/idp/demo-accounts.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A fresh browser profile signed in as `upn` at the local provider, on the page's list of what awaits a decision. */
export async function signInAt(
  browser: Browser,
  origin: string,
  upn: string,
  options: { onRequest?: (url: string) => void } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  if (options.onRequest) page.on('request', (request) => options.onRequest!(request.url()));
  await page.goto(`${origin}/`);
  await page.click('#sign-in');
  await page.fill('input[name=login]', upn);
  await page.fill('input[name=password]', DEMO_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('#upn');
  assert.equal(await page.textContent('#upn'), upn);
  return page;
}

/** Reloads until the list shows the release's (or batch's) card (visibility is eventually consistent). */
export async function releaseCardOn(
  page: Page,
  origin: string,
  workflowId: string,
  kind: 'release' | 'batch' = 'release',
) {
  const card = page.locator(`section.${kind}[data-workflow-id="${workflowId}"]`);
  for (let attempt = 0; attempt < 30; attempt++) {
    if ((await card.count()) > 0) return card;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.goto(`${origin}/`);
  }
  assert.fail(`the page never listed ${workflowId}`);
}
