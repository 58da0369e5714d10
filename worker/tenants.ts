import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFENDER_CLOUDS, DEFAULT_SCOPE, isDefenderCloudName, parseBaseUrl } from '../activities/defender/cloud.js';
import { DEFAULT_TENANT, TENANT_NAME } from '../contract/index.js';
import type { DefenderCredentials } from './defender.js';

/**
 * MSSP tenants from a JSON file: credentials and base URLs per tenant, held by the worker and never by a workflow.
 * A secret may be given inline or, better, as the name of an environment variable that holds it.
 *
 *   { "tenants": { "contoso": { "tenantId": "…", "clientId": "…", "clientSecretEnv": "CONTOSO_SECRET",
 *                                "cloud": "eu", "ratePerMinute": 100, "ratePerHour": 1500 } } }
 */
const tenantEntry = z
  .strictObject({
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    clientSecretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    cloud: z
      .string()
      .refine(isDefenderCloudName, { message: `must be one of ${Object.keys(DEFENDER_CLOUDS).join(', ')}` })
      .optional(),
    apiUrl: z.string().optional(),
    loginUrl: z.string().optional(),
    scope: z
      .string()
      .regex(/^https:\/\/\S+\/\.default$/, 'must be an https resource URI ending in /.default')
      .optional(),
    ratePerMinute: z.number().int().min(1).optional(),
    ratePerHour: z.number().int().min(1).optional(),
  })
  .refine((t) => (t.clientSecret === undefined) !== (t.clientSecretEnv === undefined), {
    message: 'give exactly one of clientSecret and clientSecretEnv',
  });

const tenantsFile = z.strictObject({
  tenants: z.record(z.string(), tenantEntry),
});

export interface TenantSettings {
  credentials: DefenderCredentials;
  rate?: { perMinute?: number; perHour?: number };
}

export class TenantConfigError extends Error {
  override readonly name = 'TenantConfigError';
}

/** Reads and validates a tenants file. Messages name the tenant and field, never a value. */
export function loadTenantsFile(file: string, env: NodeJS.ProcessEnv = process.env): Record<string, TenantSettings> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TenantConfigError(
      `invalid tenants file ${file}: ${err instanceof SyntaxError ? 'not JSON' : (err as Error).message}`,
    );
  }
  const parsed = tenantsFile.safeParse(raw);
  if (!parsed.success) {
    throw new TenantConfigError(
      `invalid tenants file ${file}:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  const result: Record<string, TenantSettings> = {};
  for (const [name, t] of Object.entries(parsed.data.tenants)) {
    if (!TENANT_NAME.test(name)) {
      throw new TenantConfigError(
        `invalid tenants file ${file}: tenant ${JSON.stringify(name)}: tenant names are lowercase letters, digits and dashes (at most 40)`,
      );
    }
    if (name === DEFAULT_TENANT) {
      throw new TenantConfigError(
        `invalid tenants file ${file}: "${DEFAULT_TENANT}" is the tenant of the DEFENDER_* variables; name it differently`,
      );
    }
    const secret = t.clientSecret ?? env[t.clientSecretEnv!];
    if (!secret) {
      throw new TenantConfigError(`tenant ${name}: environment variable ${t.clientSecretEnv} is not set`);
    }
    const cloud = DEFENDER_CLOUDS[(t.cloud as keyof typeof DEFENDER_CLOUDS | undefined) ?? 'commercial'];
    const apiUrl = t.apiUrl ?? cloud.apiUrl;
    const loginUrl = t.loginUrl ?? cloud.loginUrl;
    try {
      parseBaseUrl(apiUrl, `tenant ${name} apiUrl`);
      parseBaseUrl(loginUrl, `tenant ${name} loginUrl`);
    } catch (err) {
      throw new TenantConfigError((err as Error).message);
    }
    result[name] = {
      credentials: {
        apiUrl,
        loginUrl,
        tenantId: t.tenantId,
        clientId: t.clientId,
        clientSecret: secret,
        scope: t.scope ?? DEFAULT_SCOPE,
      },
      rate: { perMinute: t.ratePerMinute, perHour: t.ratePerHour },
    };
  }
  return result;
}
