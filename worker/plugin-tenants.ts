import type { WorkerConfig } from './config.js';
import type { DefenderClient } from '../activities/defender/client.js';
import type { TenantApproval } from '../activities/index.js';
import type { DefenderCredentials, RateBudget } from './defender.js';
import type { NudgeChannelUrls } from './nudge-config.js';

export interface DefenderTenantOptions {
  /** The plugin builds the client (with its metrics hook)… */
  credentials?: DefenderCredentials;
  /** …or uses this one. */
  client?: DefenderClient;
  /** Defender's budget for this app and tenant; default 100/min and 1500/h. */
  rateBudget?: RateBudget;
  /** Delay before retrying a 429 that carried no Retry-After; default 60 s. */
  rateLimitFallbackMs?: number;
  /**
   * How decisions are proven: `verification: 'required'` (the default once `issuers` names a trusted approvals
   * service) counts only signed approval tokens; `off` (the default without issuers) takes named approvals.
   */
  approval?: TenantApproval;
  /**
   * Webhooks that nudge this tenant's approvers when a release or batch awaits a decision (docs/nudges.md), by
   * channel: `teams` (a Teams Workflows webhook), `slack` (an incoming webhook), `webhook` (generic JSON). Secrets:
   * only the nudge activity reads them.
   */
  nudge?: NudgeChannelUrls;
}

/**
 * The plugin's tenants from the worker configuration: the default tenant of the `DEFENDER_*` variables and the named
 * tenants of `DEFENDER_TENANTS_FILE`, each with its own budget (the configured one when the file gives none).
 */
export function tenantsFromConfig(
  config: WorkerConfig,
  defaultCredentials: DefenderCredentials | undefined = config.defender,
): Record<string, DefenderTenantOptions> {
  const budget = config.rateBudget;
  return {
    ...(defaultCredentials
      ? {
          default: {
            credentials: defaultCredentials,
            rateBudget: budget,
            approval: config.approval,
            ...(Object.keys(config.nudge.urls).length > 0 ? { nudge: config.nudge.urls } : {}),
          },
        }
      : {}),
    ...Object.fromEntries(
      Object.entries(config.tenants).map(([name, t]) => [
        name,
        {
          credentials: t.credentials,
          rateBudget: {
            perMinute: t.rate?.perMinute ?? budget.perMinute,
            perHour: t.rate?.perHour ?? budget.perHour,
            timeScale: budget.timeScale,
            burst: budget.burst,
          },
          approval: t.approval,
          ...(t.nudge ? { nudge: t.nudge } : {}),
        },
      ]),
    ),
  };
}
