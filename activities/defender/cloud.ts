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
 * Parses a base URL that will receive bearer tokens or client secrets. `https` is required so that neither travels in
 * clear text; plain `http` is accepted only for loopback hosts (tests and the local simulator).
 */
export function parseBaseUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what} is not a valid URL: ${JSON.stringify(value)}`);
  }
  if (url.username || url.password) throw new Error(`${what} must not carry credentials`);
  if (url.search || url.hash) throw new Error(`${what} must not have a query or fragment`);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new Error(`${what} must use https (plain http is allowed only for loopback hosts), got ${url.origin}`);
}

/** The base URL with exactly one trailing slash, for got's `prefixUrl`. */
export function withTrailingSlash(url: URL): string {
  return url.href.replace(/\/*$/, '/');
}
