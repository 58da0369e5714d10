import { DefenderClient } from '../activities/defender/client.js';
import { ClientCredentialsTokenSource } from '../activities/defender/token.js';
import type { CallWindows } from '../contract/index.js';
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
  /** Fraction of the budget to use, leaving room for clock skew between our count and Defender's. */
  headroom?: number;
  /**
   * True (default): every call reserves with the tenant's call ledger, so calls may come in bursts of up to the
   * minute's budget within the hour's. False: the API task queue's rate limit alone, a steady pace that keeps both
   * windows (for a Temporal server without Update-With-Start, or to compare).
   */
  burst?: boolean;
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

/**
 * The API task queue's rate limit. With the ledger (`burst`), the ledger keeps the windows and the queue only bounds
 * how fast calls can be handed out: the minute's budget in ten seconds. Without it, the steady rate that keeps both
 * windows (the binding one is usually the hourly one).
 */
export function activitiesPerSecond(budget: RateBudget): number {
  const scale = budget.timeScale ?? 1;
  const headroom = budget.headroom ?? 0.97;
  if (budget.burst ?? true) return (budget.perMinute / 10) * scale * headroom;
  return Math.min(budget.perMinute / 60, budget.perHour / 3600) * scale * headroom;
}

/** The windows the tenant's ledger counts calls in. */
export function callWindows(budget: RateBudget): CallWindows {
  return {
    perMinute: budget.perMinute,
    perHour: budget.perHour,
    timeScale: budget.timeScale ?? 1,
    headroom: budget.headroom ?? 0.97,
  };
}
