import { z } from 'zod';
import { baseUrlProblem, DEFENDER_CLOUDS, DEFAULT_SCOPE, isDefenderCloudName } from '../activities/defender/cloud.js';
import { isTenantId } from '../activities/defender/ids.js';
import { describeConfigIssues } from './config-error.js';
import { DEFENDER_RATE_LIMIT, type DefenderCredentials } from './defender.js';
import type { TenantApproval } from '../activities/index.js';
import { approvalSettings } from './approval-config.js';
import { checkTenantNames, readTenantsFile, refuseSharedSecrets, TenantConfigError } from './tenants-file.js';
import { holdsNudgeUrl, nudgeSettings, nudgeUrlsOf, type NudgeChannelUrls } from './nudge-config.js';

export { TenantConfigError } from './tenants-file.js';

/**
 * MSSP tenants from a JSON file: credentials and base URLs per tenant, held by the worker and never by a workflow.
 * A secret may be given inline (then only the worker's user may read the file) or, better, as the name of an
 * environment variable that holds it.
 *
 *   { "tenants": { "contoso": { "tenantId": "…", "clientId": "…", "clientSecretEnv": "CONTOSO_SECRET",
 *                                "cloud": "eu", "ratePerMinute": 100, "ratePerHour": 1500,
 *                                "approval": { "issuers": [{ "issuer": "https://approvals.contoso.com",
 *                                                            "keys": { "keys": [<Ed25519 public JWK>] } }] },
 *                                "nudge": { "teamsUrlEnv": "CONTOSO_TEAMS_URL", "webhookUrlEnv": "CONTOSO_SOAR_URL" } } } }
 */

const baseUrl = z.string().superRefine((value, ctx) => {
  const problem = baseUrlProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** Defender's documented budget is per app and tenant: a tenant may be given less, never more. */
const rate = (max: number) => {
  const rule = `must be an integer from 1 to ${max} (Defender's limit per app and tenant)`;
  return z.number({ error: rule }).int({ error: rule }).min(1, { error: rule }).max(max, { error: rule });
};

const tenantEntry = z
  .strictObject({
    tenantId: z.string().refine(isTenantId, 'must be a tenant GUID or domain name'),
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
    apiUrl: baseUrl.optional(),
    loginUrl: baseUrl.optional(),
    scope: z
      .string()
      .regex(/^https:\/\/\S+\/\.default$/, 'must be an https resource URI ending in /.default')
      .optional(),
    ratePerMinute: rate(DEFENDER_RATE_LIMIT.perMinute).optional(),
    ratePerHour: rate(DEFENDER_RATE_LIMIT.perHour).optional(),
    approval: approvalSettings.optional(),
    /** Webhooks that nudge the tenant's approvers (docs/nudges.md): secrets, best given as variable names. */
    nudge: nudgeSettings.optional(),
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
  /** How the tenant's decisions are proven; absent: named approvals. */
  approval?: TenantApproval;
  /** The webhook URL of each channel that nudges the tenant's approvers (secrets). */
  nudge?: NudgeChannelUrls;
}

/**
 * Reads and validates a tenants file. Messages name the tenant and field, never a value (nor the file's path: the
 * caller knows it). The result has no prototype, so that no tenant name can mean anything but a configured tenant.
 */
export function loadTenantsFile(file: string, env: NodeJS.ProcessEnv = process.env): Record<string, TenantSettings> {
  const { raw, mode } = readTenantsFile(file);
  checkTenantNames(raw);
  const parsed = tenantsFile.safeParse(raw);
  if (!parsed.success)
    throw new TenantConfigError(`invalid tenants file:\n${describeConfigIssues(parsed.error.issues)}`);
  const tenants = Object.entries(parsed.data.tenants);
  refuseSharedSecrets(
    tenants.filter(([, t]) => t.clientSecret !== undefined || holdsNudgeUrl(t.nudge)).map(([name]) => name),
    mode,
  );
  const result = Object.create(null) as Record<string, TenantSettings>;
  for (const [name, t] of tenants) {
    const secret = t.clientSecret ?? env[t.clientSecretEnv!];
    if (!secret) {
      throw new TenantConfigError(`tenant ${name}: environment variable ${t.clientSecretEnv} is not set`);
    }
    const cloud = DEFENDER_CLOUDS[(t.cloud as keyof typeof DEFENDER_CLOUDS | undefined) ?? 'commercial'];
    result[name] = {
      credentials: {
        apiUrl: t.apiUrl ?? cloud.apiUrl,
        loginUrl: t.loginUrl ?? cloud.loginUrl,
        tenantId: t.tenantId,
        clientId: t.clientId,
        clientSecret: secret,
        scope: t.scope ?? DEFAULT_SCOPE,
      },
      rate: { perMinute: t.ratePerMinute, perHour: t.ratePerHour },
      ...(t.approval ? { approval: t.approval as TenantApproval } : {}),
      ...(t.nudge ? { nudge: nudgeUrlsOf(t.nudge, env, (why) => failFor(name, why)) } : {}),
    };
  }
  return result;
}

function failFor(tenant: string, why: string): never {
  throw new TenantConfigError(`tenant ${tenant}: ${why}`);
}
