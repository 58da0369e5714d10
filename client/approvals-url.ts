/**
 * Where the CLI finds the approvals page: `--approvals-url`, else APPROVALS_PAGE_URL (the variable the page itself
 * reads as its public origin), else the page's default local address. The CLI sends an ID token there, so it must be
 * https, or http to this machine only; the refusal names the option or variable, never the value.
 */
import { CliUsageError } from './cli-output.js';

export const DEFAULT_APPROVALS_URL = 'http://127.0.0.1:8091';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.has(url.hostname);
}

export function approvalsPageUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const given = option ?? (env.APPROVALS_PAGE_URL?.trim() || undefined);
  const name = option !== undefined ? '--approvals-url' : 'APPROVALS_PAGE_URL';
  if (given === undefined) return DEFAULT_APPROVALS_URL;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new CliUsageError(`${name} must be an absolute URL (the approvals page's origin)`);
  }
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url)))) {
    throw new CliUsageError(`${name} must be https (http only on a loopback address): the ID token is sent there`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new CliUsageError(`${name} must carry no credentials, query or fragment`);
  }
  return url.origin;
}
