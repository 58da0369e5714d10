/**
 * The approvals page's configuration, from the environment. Without OIDC_ISSUER the page signs people in at the local
 * demo identity provider (approvals/idp); with it, at the SOC's own (Microsoft Entra ID in production). Refusals name
 * the variable and the rule, never the value: OIDC_CLIENT_SECRET must not reach a log.
 */
import { z } from 'zod';
import { TENANT_NAME } from '../contract/index.js';

export class ApprovalsConfigError extends Error {
  override readonly name = 'ApprovalsConfigError';
}

export type IdentityProviderConfig =
  /** `host`: the local demo provider's bind address; its issuer always names 127.0.0.1, where browsers reach it. */
  { kind: 'local'; host: string } | { kind: 'external'; issuer: URL; clientId: string; clientSecret: string };

export interface ApprovalsConfig {
  identityProvider: IdentityProviderConfig;
  /**
   * The CLI's public client at the identity provider (device-code sign-in): the audience of the ID tokens the page's
   * API accepts. Null with an external provider: the CLI cannot decide through this page. The local provider has its own.
   */
  cliClientId: string | null;
  /** A group claim value every approver must carry; null: anyone the identity provider signs in. */
  approverGroup: string | null;
  /** The page's public origin (https, or http on loopback); null: the address it listens on. */
  pageUrl: string | null;
  bind: { host: string; port: number };
  /** A private Ed25519 JWK; null: one generated once and kept in .data/. */
  signingKeyFile: string | null;
  /**
   * Tenant name (`default`: the worker's default tenant) → the group claim value a person needs to see and decide
   * that tenant's releases and batches; null: everyone signed in, for every tenant.
   */
  tenantGroups: Readonly<Record<string, string>> | null;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https, or http to this machine only (the local provider, a page under test). */
const webOrigin = z
  .url({ message: 'must be an absolute URL' })
  .refine((value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  }, 'must be https (http only on a loopback address)')
  .refine((value) => !new URL(value).username && !new URL(value).password, 'must not carry credentials')
  .refine((value) => !new URL(value).search && !new URL(value).hash, 'must have no query or fragment');

const bindAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[\w.-]+):\d{1,5}$/, 'must be host:port')
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

const TENANT_GROUP = /^([^=,\s]+)\s*=\s*([^=,]{1,200})$/;

/** `tenant=group,tenant=group`: each tenant once, named as the worker names it. */
const tenantGroups = z.string().transform((value, ctx) => {
  const pairs: Record<string, string> = {};
  for (const pair of value.split(',').map((p) => p.trim())) {
    const match = TENANT_GROUP.exec(pair);
    const tenant = match?.[1];
    if (!match || !tenant || !TENANT_NAME.test(tenant) || Object.hasOwn(pairs, tenant) || !match[2]!.trim()) {
      ctx.addIssue({ code: 'custom', message: 'must be tenant=group pairs separated by commas, each tenant once' });
      return z.NEVER;
    }
    pairs[tenant] = match[2]!.trim();
  }
  return pairs;
});

const schema = z.object({
  OIDC_ISSUER: webOrigin.optional(),
  OIDC_CLIENT_ID: z.string().max(200, 'must be at most 200 characters').optional(),
  OIDC_CLIENT_SECRET: z.string().max(1000, 'must be at most 1000 characters').optional(),
  OIDC_CLI_CLIENT_ID: z.string().max(200, 'must be at most 200 characters').optional(),
  OIDC_APPROVER_GROUP: z.string().max(200, 'must be at most 200 characters').optional(),
  APPROVALS_PAGE_URL: webOrigin.optional(),
  APPROVALS_BIND_ADDRESS: bindAddress.default('127.0.0.1:8091'),
  APPROVALS_SIGNING_KEY_FILE: z.string().optional(),
  // In a container, 0.0.0.0 with the port published on the host's 127.0.0.1 only.
  APPROVALS_LOCAL_IDP_HOST: z
    .enum(['127.0.0.1', '0.0.0.0'], { message: "must be '127.0.0.1' or '0.0.0.0'" })
    .default('127.0.0.1'),
  APPROVALS_TENANT_GROUPS: tenantGroups.optional(),
});

const blankToUndefined = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.keys(schema.shape).map((key) => [key, env[key]?.trim() || undefined]));

/** Parses the approvals page's variables; ApprovalsConfigError lists every variable in error with its rule. */
export function loadApprovalsConfig(env: NodeJS.ProcessEnv = process.env): ApprovalsConfig {
  const parsed = schema.safeParse(blankToUndefined(env));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ApprovalsConfigError(`invalid approvals page configuration:\n${issues.join('\n')}`);
  }
  const vars = parsed.data;
  const separator = vars.APPROVALS_BIND_ADDRESS.lastIndexOf(':');
  return {
    identityProvider: identityProvider(vars),
    cliClientId: vars.OIDC_CLI_CLIENT_ID ?? null,
    approverGroup: vars.OIDC_APPROVER_GROUP ?? null,
    pageUrl: vars.APPROVALS_PAGE_URL ? new URL(vars.APPROVALS_PAGE_URL).origin : null,
    bind: {
      host: vars.APPROVALS_BIND_ADDRESS.slice(0, separator).replace(/^\[(.*)\]$/, '$1'),
      port: Number(vars.APPROVALS_BIND_ADDRESS.slice(separator + 1)),
    },
    signingKeyFile: vars.APPROVALS_SIGNING_KEY_FILE ?? null,
    tenantGroups: vars.APPROVALS_TENANT_GROUPS ?? null,
  };
}

function identityProvider(vars: z.output<typeof schema>): IdentityProviderConfig {
  if (!vars.OIDC_ISSUER) {
    const stray = (['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_CLI_CLIENT_ID'] as const).filter(
      (key) => vars[key] !== undefined,
    );
    if (stray.length > 0) {
      throw new ApprovalsConfigError(`invalid approvals page configuration:\n  ${stray.join(', ')}: needs OIDC_ISSUER`);
    }
    // Anyone signs in at the demo provider as anyone (one password): it may serve a page only this machine reaches.
    if (vars.APPROVALS_PAGE_URL && !LOOPBACK.has(new URL(vars.APPROVALS_PAGE_URL).hostname)) {
      throw new ApprovalsConfigError(
        'invalid approvals page configuration:\n  APPROVALS_PAGE_URL: without OIDC_ISSUER (the local demo provider, ' +
          'whose demo users share one password) the page must be on a loopback address; set OIDC_ISSUER',
      );
    }
    return { kind: 'local', host: vars.APPROVALS_LOCAL_IDP_HOST };
  }
  const missing = (['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'APPROVALS_PAGE_URL'] as const).filter(
    (key) => vars[key] === undefined,
  );
  if (missing.length > 0) {
    const lines = missing.map((key) => `  ${key}: is required with OIDC_ISSUER`);
    throw new ApprovalsConfigError(`invalid approvals page configuration:\n${lines.join('\n')}`);
  }
  return {
    kind: 'external',
    issuer: new URL(vars.OIDC_ISSUER),
    clientId: vars.OIDC_CLIENT_ID!,
    clientSecret: vars.OIDC_CLIENT_SECRET!,
  };
}
