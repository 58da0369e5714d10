import type { ServerResponse } from 'node:http';
import { escapeHtml } from '../page/html.js';
import { DEMO_ACCOUNTS } from './demo-accounts.js';

/** The local provider's sign-in form (fields `login` and `password`), posted to the interaction it belongs to. */
export function renderLoginForm(res: ServerResponse, uid: string, error?: string): void {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  // No form-action: the answer to this form redirects on to the page's callback, another origin, which it would block.
  res.setHeader('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Contoso sign-in (local demo provider)</title></head><body>
<h1>Sign in (local demo identity provider)</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>User <input name="login" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
<p>Demo users: ${DEMO_ACCOUNTS.map((account) => escapeHtml(account.upn)).join(', ')} (password: demo)</p>
</body></html>`);
}
