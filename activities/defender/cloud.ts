/**
 * Where Defender lives. The API host varies by cloud and geography; the token audience does not: tokens minted for
 * any other audience than the legacy "securitycenter" resource get 403 in the field, whatever host is called.
 */

export const DEFAULT_SCOPE = 'https://api.securitycenter.microsoft.com/.default';

export interface DefenderCloud {
  readonly apiUrl: string;
  readonly loginUrl: string;
}

const PUBLIC_LOGIN = 'https://login.microsoftonline.com';

export const DEFENDER_CLOUDS = {
  commercial: { apiUrl: 'https://api.securitycenter.microsoft.com', loginUrl: PUBLIC_LOGIN },
  security: { apiUrl: 'https://api.security.microsoft.com', loginUrl: PUBLIC_LOGIN },
  us: { apiUrl: 'https://us.api.security.microsoft.com', loginUrl: PUBLIC_LOGIN },
  eu: { apiUrl: 'https://eu.api.security.microsoft.com', loginUrl: PUBLIC_LOGIN },
  uk: { apiUrl: 'https://uk.api.security.microsoft.com', loginUrl: PUBLIC_LOGIN },
  au: { apiUrl: 'https://au.api.security.microsoft.com', loginUrl: PUBLIC_LOGIN },
  swa: { apiUrl: 'https://swa.api.security.microsoft.com', loginUrl: PUBLIC_LOGIN },
  ina: { apiUrl: 'https://ina.api.security.microsoft.com', loginUrl: PUBLIC_LOGIN },
  gcc: { apiUrl: 'https://api-gcc.securitycenter.microsoft.us', loginUrl: PUBLIC_LOGIN },
  'gcc-high': { apiUrl: 'https://api-gov.securitycenter.microsoft.us', loginUrl: 'https://login.microsoftonline.us' },
  dod: { apiUrl: 'https://api-gov.securitycenter.microsoft.us', loginUrl: 'https://login.microsoftonline.us' },
} as const satisfies Record<string, DefenderCloud>;

export type DefenderCloudName = keyof typeof DEFENDER_CLOUDS;

export function isDefenderCloudName(name: string): name is DefenderCloudName {
  return Object.hasOwn(DEFENDER_CLOUDS, name);
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * What is wrong with a base URL that will receive bearer tokens or client secrets, or undefined when nothing is.
 * `https` is required so that neither travels in clear text; plain `http` is accepted only for loopback hosts (tests
 * and the local simulator). The rule is said, never the value: a misplaced secret must not be printed back.
 */
export function baseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.search || url.hash) return 'must not have a query or fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must use https (plain http is allowed only for loopback hosts)';
}

/** Parses a base URL (see `baseUrlProblem`), or throws an error naming `what` and the rule. */
export function parseBaseUrl(value: string, what: string): URL {
  const problem = baseUrlProblem(value);
  if (problem !== undefined) throw new Error(`${what} ${problem}`);
  return new URL(value);
}

/** The base URL with exactly one trailing slash, for got's `prefixUrl`. */
export function withTrailingSlash(url: URL): string {
  return url.href.replace(/\/*$/, '/');
}
