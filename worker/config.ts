import { z } from 'zod';
import { DEFENDER_CLOUDS, DEFAULT_SCOPE, isDefenderCloudName, parseBaseUrl } from '../activities/defender/cloud.js';
import { DEFAULT_TASK_QUEUE } from '../contract/index.js';
import type { DefenderCredentials } from './defender.js';
import { loadTenantsFile, type TenantSettings } from './tenants.js';

/**
 * Everything the worker reads from the environment, validated at start. Messages name the variable and the problem,
 * never the value (some are secrets).
 */

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const integer = (min: number, max: number) =>
  optional.pipe(
    z.union([z.undefined(), z.coerce.number<string>().int().min(min).max(max)], {
      error: () => `must be an integer from ${min} to ${max}`,
    }),
  );

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
  DEFENDER_API_URL: optional,
  DEFENDER_LOGIN_URL: optional,
  DEFENDER_TENANT_ID: optional,
  DEFENDER_CLIENT_ID: optional,
  DEFENDER_CLIENT_SECRET: optional,
  DEFENDER_SCOPE: optional.refine((v) => v === undefined || /^https:\/\/\S+\/\.default$/.test(v), {
    message: 'must be an https resource URI ending in /.default',
  }),
  DEFENDER_REQUEST_TIMEOUT_MS: integer(1000, 55_000),
  DEFENDER_RATE_PER_MINUTE: integer(1, 100_000),
  DEFENDER_RATE_PER_HOUR: integer(1, 10_000_000),
  DEFENDER_RATE_TIME_SCALE: integer(1, 10_000),
  DEFENDER_TENANTS_FILE: optional,
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
  OTEL_EXPORTER_OTLP_ENDPOINT: optional,
});

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
  requestTimeoutMs: number;
  /** Defender's per app+tenant budget, enforced on the API task queue. */
  rateBudget: { perMinute: number; perHour: number; timeScale: number };
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

/** The Worker Deployment of a versioned worker when TEMPORAL_DEPLOYMENT_NAME is not set. */
export const DEFAULT_DEPLOYMENT_NAME = 'defender-isolation';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = z.output<typeof envSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  const e = parsed.data;
  const defender = defaultCredentials(e);
  let tenants: Record<string, TenantSettings> = {};
  if (e.DEFENDER_TENANTS_FILE) {
    try {
      tenants = loadTenantsFile(e.DEFENDER_TENANTS_FILE, env);
    } catch (err) {
      throw new ConfigError(`invalid configuration: DEFENDER_TENANTS_FILE: ${(err as Error).message}`);
    }
  }
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
    requestTimeoutMs: e.DEFENDER_REQUEST_TIMEOUT_MS ?? 20_000,
    maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    rateBudget: {
      perMinute: e.DEFENDER_RATE_PER_MINUTE ?? 100,
      perHour: e.DEFENDER_RATE_PER_HOUR ?? 1500,
      timeScale: e.DEFENDER_RATE_TIME_SCALE ?? 1,
    },
    tenants,
    metricsBindAddress: e.METRICS_BIND_ADDRESS,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    log: { format: e.LOG_FORMAT ?? 'text', level: e.LOG_LEVEL ?? 'INFO' },
  };
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
  const apiUrl = e.DEFENDER_API_URL ?? cloud.apiUrl;
  const loginUrl = e.DEFENDER_LOGIN_URL ?? cloud.loginUrl;
  for (const [name, value] of [
    ['DEFENDER_API_URL', apiUrl],
    ['DEFENDER_LOGIN_URL', loginUrl],
  ] as const) {
    try {
      parseBaseUrl(value, name);
    } catch (err) {
      throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
    }
  }
  return {
    apiUrl,
    loginUrl,
    tenantId: e.DEFENDER_TENANT_ID!,
    clientId: e.DEFENDER_CLIENT_ID!,
    clientSecret: e.DEFENDER_CLIENT_SECRET!,
    scope: e.DEFENDER_SCOPE ?? DEFAULT_SCOPE,
  };
}
