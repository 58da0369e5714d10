/** Sign-in (authorization code with PKCE), its callback, and sign-out. */
import type { Hono } from 'hono';
import { beginSignIn, finishSignIn, SignInError } from './oidc.js';
import { csrfMatches, SESSION_TTL_MS, SIGN_IN_TTL_MS } from './session.js';
import {
  clearPageCookie,
  readPageCookie,
  SESSION_COOKIE,
  sessionOf,
  setPageCookie,
  SIGN_IN_COOKIE,
  type PageDeps,
} from './context.js';
import { messageView } from './views.js';

export function addSignInRoutes(app: Hono, deps: PageDeps): void {
  app.get('/login', async (c) => {
    const { url, pending } = await beginSignIn(deps.idp);
    setPageCookie(c, SIGN_IN_COOKIE, deps.sessions.signIns.add(pending), SIGN_IN_TTL_MS / 1000);
    return c.redirect(url.href, 302);
  });

  app.get('/callback', async (c) => {
    const pending = deps.sessions.signIns.take(readPageCookie(c, SIGN_IN_COOKIE));
    clearPageCookie(c, SIGN_IN_COOKIE);
    if (!pending) return c.html(messageView('Sign-in expired', 'The sign-in took too long; sign in again.'), 400);
    // The URL the provider redirected to, rebuilt on the public origin (the page may sit behind a proxy).
    const callbackUrl = new URL(`/callback${new URL(c.req.url).search}`, deps.origin);
    try {
      const user = await finishSignIn(deps.idp, callbackUrl, pending);
      setPageCookie(c, SESSION_COOKIE, deps.sessions.open(user), SESSION_TTL_MS / 1000);
      deps.log(`approvals page: ${user.upn} signed in`);
      return c.redirect('/', 303);
    } catch (err) {
      if (!(err instanceof SignInError)) throw err;
      deps.log(`approvals page: sign-in refused: ${err.message}`);
      return c.html(messageView('Sign-in refused', err.message), 403);
    }
  });

  app.post('/logout', async (c) => {
    const session = sessionOf(c, deps);
    const form = await c.req.parseBody();
    if (session && csrfMatches(form.csrf, session)) {
      deps.sessions.sessions.take(readPageCookie(c, SESSION_COOKIE));
      clearPageCookie(c, SESSION_COOKIE);
    }
    return c.redirect('/', 303);
  });
}
