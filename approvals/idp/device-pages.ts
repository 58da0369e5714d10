/**
 * The local provider's device-flow pages (the CLI's sign-in): enter the code, confirm it, done. Plain HTML with no
 * outside resource (oidc-provider's defaults load web fonts); `form` is oidc-provider's own, with its XSRF field.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml } from '../page/html.js';

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} (local demo provider)</title></head><body>
<h1>${escapeHtml(title)} (local demo identity provider)</h1>
${body}
</body></html>`;

/** The code the CLI printed; an error only says the code was not accepted (never which codes exist). */
export function userCodeInputSource(ctx: KoaContextWithOIDC, form: string, _out?: unknown, err?: Error): void {
  const notice = err ? '<p role="alert">That code was not accepted; check it and try again.</p>' : '';
  ctx.body = page(
    'CLI sign-in',
    `${notice}<p>Enter the code the defender-isolation CLI printed.</p>
${form.replace('</form>', '<button type="submit">Continue</button></form>')}`,
  );
}

/** Shows the code again, so that a person sent a link by someone else sees it is not the code on their screen. */
export function userCodeConfirmSource(
  ctx: KoaContextWithOIDC,
  form: string,
  _client: unknown,
  _deviceInfo: unknown,
  userCode: string,
): void {
  ctx.body = page(
    'Confirm the CLI sign-in',
    `<p>Sign in the defender-isolation CLI showing the code <code id="user-code">${escapeHtml(userCode)}</code>?</p>
<p>If your terminal does not show this code, close this page.</p>
${form.replace('</form>', '<button type="submit">Continue</button><button type="submit" name="abort" value="yes">Abort</button></form>')}`,
  );
}

export function successSource(ctx: KoaContextWithOIDC): void {
  ctx.body = page('Signed in', '<p id="signed-in">The CLI is signed in; you can close this page.</p>');
}
