/** What the page's routes share: the provider, Temporal, the signing key, the sessions and the log. */
import type { Client } from '@temporalio/client';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CliSignIn } from './cli-id-token.js';
import type { IdentityProvider } from './oidc.js';
import type { Session, SessionStore } from './session.js';
import type { TenantGroups } from './tenant-access.js';
import type { SigningKey } from './tokens.js';

export interface PageDeps {
  /** The page's public origin: the tokens' issuer, the redirect URI's, the origin form posts must come from. */
  origin: string;
  idp: IdentityProvider;
  /** The CLI's ID tokens the API accepts; null: the page takes no CLI decisions. */
  cliSignIn: CliSignIn | null;
  client: Client;
  key: SigningKey;
  sessions: SessionStore;
  /** One line per sign-in and decision; never a token, code, cookie or secret. */
  log: (line: string) => void;
  /** Who may see and decide which tenant's releases (APPROVALS_TENANT_GROUPS); absent or null: everyone. */
  tenantGroups: TenantGroups;
}

/**
 * `__Host-` cookies: Secure, path /, no Domain, so no other host or path can set or shadow them. Chromium accepts Secure
 * cookies from http://127.0.0.1 (a potentially trustworthy origin), so the local demo keeps them too. SameSite Lax:
 * the sign-in cookie must come back with the provider's redirect, a top-level GET from another site.
 */
const COOKIE = { httpOnly: true, secure: true, sameSite: 'Lax', path: '/', prefix: 'host' } as const;

export const SESSION_COOKIE = 'sid';
export const SIGN_IN_COOKIE = 'signin';

export function setPageCookie(c: Context, name: string, value: string, maxAgeSeconds: number): void {
  setCookie(c, name, value, { ...COOKIE, maxAge: maxAgeSeconds });
}

export function clearPageCookie(c: Context, name: string): void {
  deleteCookie(c, name, COOKIE);
}

export function readPageCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name, 'host');
}

export function sessionOf(c: Context, deps: PageDeps): Session | undefined {
  return deps.sessions.sessions.get(readPageCookie(c, SESSION_COOKIE));
}
