import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import {
  baseUrlProblem,
  DEFENDER_CLOUDS,
  DEFAULT_SCOPE,
  isDefenderCloudName,
  isLoopbackHost,
} from '../activities/defender/cloud.js';
import { isTenantId } from '../activities/defender/ids.js';
import { DEFAULT_TASK_QUEUE } from '../contract/index.js';
import { ConfigError, describeConfigIssues, fileProblem } from './config-error.js';
import { DEFENDER_RATE_LIMIT, type DefenderCredentials } from './defender.js';
import { loadTenantsFile, type TenantSettings } from './tenants.js';
import { approvalFromEnv, isApprovalIssuer, ISSUER_RULE } from './approval-config.js';
import type { TenantApproval } from '../activities/index.js';
import { isNudgeUrl, NUDGE_URL_RULE, type NudgeChannelUrls } from './nudge-config.js';

export { ConfigError } from './config-error.js';

/**
 * Everything the worker reads from the environment, validated at start. Messages name the variable and the rule, never
 * the value: some are secrets, and a secret pasted into the wrong variable (a URL, a path) must not be printed back.
 */

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const integer = (min: number, max: number, why = '') => {
  const rule = `must be an integer from ${min} to ${max}${why}`;
  return optional.pipe(
    z.union(
      [z.undefined(), z.coerce.number<string>({ error: rule }).int({ error: rule }).min(min, rule).max(max, rule)],
      { error: rule },
    ),
  );
};

/** A base URL that receives tokens or secrets (see `baseUrlProblem`). */
const baseUrl = optional.superRefine((value, ctx) => {
  const problem = value === undefined ? undefined : baseUrlProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const DEFENDER_LIMIT = " (Defender's limit per app and tenant)";

const envSchema = z.object({
  TEMPORAL_ADDRESS: optional,
  TEMPORAL_NAMESPACE: optional.transform((v) => v ?? 'default'),
  TEMPORAL_TASK_QUEUE: optional.transform((v) => v ?? DEFAULT_TASK_QUEUE),
  TEMPORAL_API_KEY: optional,
  TEMPORAL_TLS: optional.pipe(z.enum(['true', 'false', '1', '0']).optional()),
  TEMPORAL_TLS_CLIENT_CERT_PATH: optional,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optional,
  TEMPORAL_DEPLOYMENT_NAME: optional.refine((v) => v === undefined || /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(v), {
    message: 'must be letters, digits, dots, dashes and underscores (at most 100)',
  }),
  TEMPORAL_WORKER_BUILD_ID: optional.refine((v) => v === undefined || /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/.test(v), {
    message: 'must be letters, digits, dots, dashes, underscores and plus signs (at most 100)',
  }),
  DEFENDER_CLOUD: optional.refine((v) => v === undefined || isDefenderCloudName(v), {
    message: `must be one of ${Object.keys(DEFENDER_CLOUDS).join(', ')}`,
  }),
  DEFENDER_API_URL: baseUrl,
  DEFENDER_LOGIN_URL: baseUrl,
  DEFENDER_TENANT_ID: optional.refine((v) => v === undefined || isTenantId(v), {
    message: 'must be a tenant GUID or domain name',
  }),
  DEFENDER_CLIENT_ID: optional,
  DEFENDER_CLIENT_SECRET: optional,
  DEFENDER_SCOPE: optional.refine((v) => v === undefined || /^https:\/\/\S+\/\.default$/.test(v), {
    message: 'must be an https resource URI ending in /.default',
  }),
  DEFENDER_REQUEST_TIMEOUT_MS: integer(1000, 55_000),
  DEFENDER_RATE_PER_MINUTE: integer(1, DEFENDER_RATE_LIMIT.perMinute, DEFENDER_LIMIT),
  DEFENDER_RATE_PER_HOUR: integer(1, DEFENDER_RATE_LIMIT.perHour, DEFENDER_LIMIT),
  /** Only for a time-compressed simulator: Defender's windows are that many times shorter (loopback URLs only). */
  DEFENDER_RATE_TIME_SCALE: integer(1, 10_000),
  /**
   * `on` (default): calls reserve with the tenant's call ledger and may come in bursts within both windows; `off`: the
   * API task queue's steady rate alone (for a Temporal server without Update-With-Start).
   */
  DEFENDER_RATE_BURST: optional.pipe(z.enum(['on', 'off'], { error: "must be 'on' or 'off'" }).optional()),
  DEFENDER_TENANTS_FILE: optional,
  /** The default tenant's approvals: `required` (signed approval tokens) or `off` (named approvals). */
  APPROVAL_VERIFICATION: optional.pipe(z.enum(['required', 'off']).optional()),
  /** The trusted approvals service's origin (its tokens' `iss`) and its public keys (a JWKS file). */
  APPROVAL_ISSUER: optional.refine((v) => v === undefined || isApprovalIssuer(v), { message: ISSUER_RULE }),
  APPROVAL_KEYS_FILE: optional,
  /** Comma-separated identity provider issuers whose sign-ins count; unset: any the approvals service vouches for. */
  APPROVAL_IDENTITY_PROVIDERS: optional,
  /** The default tenant's nudge channels (docs/nudges.md): webhook URLs, secrets. */
  NUDGE_TEAMS_URL: nudgeUrlVariable(),
  NUDGE_SLACK_URL: nudgeUrlVariable(),
  NUDGE_WEBHOOK_URL: nudgeUrlVariable(),
  /** The nudge task queue's budget, every tenant together: nudges posted per second at most. */
  NUDGE_RATE_PER_SECOND: optional.pipe(
    z.union([z.undefined(), z.coerce.number<string>().min(0.01).max(100)], {
      error: 'must be a number from 0.01 to 100',
    }),
  ),
  /** The approvals page's public origin: nudges link to a release's view there. */
  APPROVALS_PAGE_URL: optional.refine((v) => v === undefined || isPageUrl(v), {
    message: 'must be an https URL (http only on loopback) without user, password, query or fragment',
  }),
  WORKER_MAX_CACHED_WORKFLOWS: integer(0, 1_000_000),
  WORKFLOW_BUNDLE_PATH: optional,
  METRICS_BIND_ADDRESS: optional.refine(
    (v) => v === undefined || /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(v),
    {
      message: 'must be host:port, e.g. 0.0.0.0:9464',
    },
  ),
  LOG_FORMAT: optional.pipe(z.enum(['json', 'text']).optional()),
  LOG_LEVEL: optional.pipe(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).optional()),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional.refine((v) => v === undefined || /^https?:$/.test(urlProtocol(v)), {
    message: 'must be an http or https URL, e.g. http://otel-collector:4317',
  }),
});

function nudgeUrlVariable() {
  return optional.refine((v) => v === undefined || isNudgeUrl(v), { message: NUDGE_URL_RULE });
}

function isPageUrl(value: string): boolean {
  if (!isNudgeUrl(value)) return false;
  const url = new URL(value);
  return !url.search && !url.hash;
}

function urlProtocol(value: string): string {
  try {
    return new URL(value).protocol;
  } catch {
    return '';
  }
}

/** Every variable the worker reads (the deployment check makes sure docker-compose.yml passes each one on). */
export const WORKER_ENV_VARIABLES = Object.keys(envSchema.shape) as (keyof typeof envSchema.shape)[];

export interface WorkerConfig {
  temporal: {
    /** Required by the shipped worker; `npm start` starts an embedded dev server when it is absent. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    apiKey: string | undefined;
    tls: boolean;
    clientCertPath: string | undefined;
    clientKeyPath: string | undefined;
    /** Worker Versioning (TEMPORAL_WORKER_BUILD_ID set): this worker's build in its Worker Deployment. */
    deployment: { deploymentName: string; buildId: string } | undefined;
  };
  /** The default tenant's credentials (`DEFENDER_*`); absent when only named tenants are configured. */
  defender: DefenderCredentials | undefined;
  /** The default tenant's approval settings (`APPROVAL_*`); absent: named approvals. */
  approval: TenantApproval | undefined;
  requestTimeoutMs: number;
  /** Defender's per app+tenant budget, enforced on the API task queue. */
  rateBudget: { perMinute: number; perHour: number; timeScale: number; burst: boolean };
  /**
   * Nudges (docs/nudges.md): the default tenant's channels (`NUDGE_*_URL`, secrets; a named tenant's are in the
   * tenants file), the nudge queue's rate, and the approvals page the nudges link to.
   */
  nudge: { urls: NudgeChannelUrls; ratePerSecond: number; pageUrl: string | undefined };
  /** Named MSSP tenants (DEFENDER_TENANTS_FILE), besides the default one of the DEFENDER_* variables. */
  tenants: Record<string, TenantSettings>;
  /**
   * Workflows the worker keeps in memory between tasks; unset: the SDK's default, sized from the heap limit. Releases
   * spend their life waiting, so a small cache trades a short replay on wake-up for memory (see docs/performance.md).
   */
  maxCachedWorkflows: number | undefined;
  /** A workflow bundle made at build time (`npm run bundle:workflows`); unset: bundled at start. */
  workflowBundlePath: string | undefined;
  /** Prometheus scrape endpoint of the worker runtime, e.g. 0.0.0.0:9464. */
  metricsBindAddress: string | undefined;
  /** OTLP/gRPC collector for traces (and metrics when no Prometheus address is set). */
  otlpEndpoint: string | undefined;
  log: { format: 'json' | 'text'; level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' };
}

/** Nudges posted per second at most, all tenants together: a burst of releases must not flood a channel. */
export const DEFAULT_NUDGE_RATE_PER_SECOND = 1;

/** The Worker Deployment of a versioned worker when TEMPORAL_DEPLOYMENT_NAME is not set. */
export const DEFAULT_DEPLOYMENT_NAME = 'defender-isolation';

type Env = z.output<typeof envSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid configuration:\n${describeConfigIssues(parsed.error.issues)}`);
  const e = parsed.data;
  checkFiles(e);
  const defender = defaultCredentials(e);
  const tenants = namedTenants(e, env);
  const timeScale = e.DEFENDER_RATE_TIME_SCALE ?? 1;
  checkTimeScale(timeScale, defender, tenants);
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS === 'true' || e.TEMPORAL_TLS === '1' || e.TEMPORAL_API_KEY !== undefined,
      clientCertPath: e.TEMPORAL_TLS_CLIENT_CERT_PATH,
      clientKeyPath: e.TEMPORAL_TLS_CLIENT_KEY_PATH,
      deployment: e.TEMPORAL_WORKER_BUILD_ID
        ? { deploymentName: e.TEMPORAL_DEPLOYMENT_NAME ?? DEFAULT_DEPLOYMENT_NAME, buildId: e.TEMPORAL_WORKER_BUILD_ID }
        : undefined,
    },
    defender,
    approval: defaultApproval(e),
    requestTimeoutMs: e.DEFENDER_REQUEST_TIMEOUT_MS ?? 20_000,
    maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    rateBudget: {
      perMinute: e.DEFENDER_RATE_PER_MINUTE ?? DEFENDER_RATE_LIMIT.perMinute,
      perHour: e.DEFENDER_RATE_PER_HOUR ?? DEFENDER_RATE_LIMIT.perHour,
      timeScale,
      burst: e.DEFENDER_RATE_BURST !== 'off',
    },
    nudge: {
      urls: {
        ...(e.NUDGE_TEAMS_URL ? { teams: e.NUDGE_TEAMS_URL } : {}),
        ...(e.NUDGE_SLACK_URL ? { slack: e.NUDGE_SLACK_URL } : {}),
        ...(e.NUDGE_WEBHOOK_URL ? { webhook: e.NUDGE_WEBHOOK_URL } : {}),
      },
      ratePerSecond: e.NUDGE_RATE_PER_SECOND ?? DEFAULT_NUDGE_RATE_PER_SECOND,
      pageUrl: e.APPROVALS_PAGE_URL ? new URL(e.APPROVALS_PAGE_URL).origin : undefined,
    },
    tenants,
    metricsBindAddress: e.METRICS_BIND_ADDRESS,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    log: { format: e.LOG_FORMAT ?? 'text', level: e.LOG_LEVEL ?? 'INFO' },
  };
}

/** The files the worker will read are there and readable now, rather than failing later with their path. */
function checkFiles(e: Env): void {
  if ((e.TEMPORAL_TLS_CLIENT_CERT_PATH === undefined) !== (e.TEMPORAL_TLS_CLIENT_KEY_PATH === undefined)) {
    throw new ConfigError(
      'invalid configuration: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together (both or neither)',
    );
  }
  for (const name of [
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    'TEMPORAL_TLS_CLIENT_KEY_PATH',
    'WORKFLOW_BUNDLE_PATH',
  ] as const) {
    const file = e[name];
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new ConfigError(`invalid configuration: ${name}: ${fileProblem(err)}`);
    }
  }
}

function defaultApproval(e: Env): TenantApproval | undefined {
  try {
    return approvalFromEnv(e);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
}

function namedTenants(e: Env, env: NodeJS.ProcessEnv): Record<string, TenantSettings> {
  if (!e.DEFENDER_TENANTS_FILE) return {};
  try {
    return loadTenantsFile(e.DEFENDER_TENANTS_FILE, env);
  } catch (err) {
    throw new ConfigError(`invalid configuration: DEFENDER_TENANTS_FILE: ${(err as Error).message}`);
  }
}

/**
 * A compressed time scale multiplies the budget: right for a simulator whose minutes are that much shorter, wrong for
 * Defender itself, whose limit the caps above keep.
 */
function checkTimeScale(
  timeScale: number,
  defender: DefenderCredentials | undefined,
  tenants: Record<string, TenantSettings>,
): void {
  if (timeScale === 1) return;
  const apiUrls = [defender?.apiUrl, ...Object.values(tenants).map((t) => t.credentials.apiUrl)];
  if (apiUrls.every((url) => url === undefined || isLoopbackHost(new URL(url).hostname))) return;
  throw new ConfigError(
    "invalid configuration: DEFENDER_RATE_TIME_SCALE: must be 1 unless every tenant's API URL is a loopback simulator",
  );
}

/** The default tenant of the `DEFENDER_*` variables: all three of tenant, client and secret, or none. */
function defaultCredentials(e: Env): DefenderCredentials | undefined {
  const required = ['DEFENDER_TENANT_ID', 'DEFENDER_CLIENT_ID', 'DEFENDER_CLIENT_SECRET'] as const;
  const missing = required.filter((name) => e[name] === undefined);
  if (missing.length === required.length) return undefined;
  if (missing.length > 0) {
    throw new ConfigError(`invalid configuration: ${missing.join(', ')} must be set too (or none of the three)`);
  }
  const cloud = DEFENDER_CLOUDS[(e.DEFENDER_CLOUD as keyof typeof DEFENDER_CLOUDS | undefined) ?? 'commercial'];
  return {
    // Both were checked by the schema when set; the presets are https.
    apiUrl: e.DEFENDER_API_URL ?? cloud.apiUrl,
    loginUrl: e.DEFENDER_LOGIN_URL ?? cloud.loginUrl,
    tenantId: e.DEFENDER_TENANT_ID!,
    clientId: e.DEFENDER_CLIENT_ID!,
    clientSecret: e.DEFENDER_CLIENT_SECRET!,
    scope: e.DEFENDER_SCOPE ?? DEFAULT_SCOPE,
  };
}
