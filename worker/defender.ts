import { DefenderClient } from '../activities/defender/client.js';
import { ClientCredentialsTokenSource } from '../activities/defender/token.js';
import { recordDefenderResponse } from './metrics.js';

/** One tenant's app registration and endpoints, as the worker holds them (never a workflow). */
export interface DefenderCredentials {
  apiUrl: string;
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

export const USER_AGENT = 'defender-isolation/0.1.0';

/** A Defender client for one tenant, whose answered requests are counted in the worker's metrics. */
export function createDefenderClient(
  credentials: DefenderCredentials,
  options: { requestTimeoutMs?: number; tenant?: string } = {},
): DefenderClient {
  const tokens = new ClientCredentialsTokenSource({
    loginUrl: credentials.loginUrl,
    tenantId: credentials.tenantId,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    scope: credentials.scope,
    userAgent: USER_AGENT,
  });
  return new DefenderClient({
    apiUrl: credentials.apiUrl,
    tokens,
    userAgent: USER_AGENT,
    requestTimeoutMs: options.requestTimeoutMs,
    onResponse: recordDefenderResponse(options.tenant ?? 'default'),
  });
}

/** Defender's documented budget per application and tenant. */
export interface RateBudget {
  perMinute: number;
  perHour: number;
  /** >1 for a time-compressed simulator: the windows are this many times shorter. */
  timeScale?: number;
  /** Fraction of the budget to use, leaving room for the server's burst allowance and clock skew. */
  headroom?: number;
}

/**
 * Defender's documented limit per app and tenant ("100 calls per minute and 1500 calls per hour" on every endpoint
 * used). Configuration (variables and the tenants file) may ask for less, never more.
 */
export const DEFENDER_RATE_LIMIT = { perMinute: 100, perHour: 1500 } as const;

export const DEFAULT_RATE_BUDGET: RateBudget = { ...DEFENDER_RATE_LIMIT, timeScale: 1, headroom: 0.97 };

/**
 * How often a tenant's watcher may poll at most: half its hourly budget as an interval (4.8 s for Defender's 1500
 * calls an hour), so that the one call that serves every waiting release leaves the other half to the releases.
 */
export function watchFloor(budget: RateBudget): number {
  return Math.ceil((2 * 3_600_000) / (budget.perHour * (budget.timeScale ?? 1)));
}

/** The steady activity rate that keeps both windows of the budget: the binding one is usually the hourly one. */
export function activitiesPerSecond(budget: RateBudget): number {
  const scale = budget.timeScale ?? 1;
  return Math.min(budget.perMinute / 60, budget.perHour / 3600) * scale * (budget.headroom ?? 0.97);
}
