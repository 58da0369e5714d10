import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { TenantApproval } from '../activities/index.js';
import { isLoopbackHost } from '../activities/defender/cloud.js';
import { describeConfigIssues, fileProblem } from './config-error.js';

/**
 * A tenant's approval settings, from the tenants file or the `APPROVAL_*` variables: which approvals services it
 * trusts (their origin and public keys) and how its decisions are proven. Only public keys are accepted: a private
 * key in this file would let whoever reads it mint approvals.
 */

/** An approvals service's origin: https, or http on loopback for a local one. */
export function isApprovalIssuer(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}
export const ISSUER_RULE = 'must be an https URL (http only on loopback)';

const issuer = z.string().refine(isApprovalIssuer, { message: ISSUER_RULE });

const publicKey = z
  .looseObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string().min(1), kid: z.string().optional() })
  .refine((k) => !('d' in k), { message: 'must be a public key (this one has its private part, "d")' });

export const jwks = z.strictObject({ keys: z.array(publicKey).min(1) });

export const approvalSettings = z
  .strictObject({
    verification: z.enum(['required', 'off']).optional(),
    issuers: z.array(z.strictObject({ issuer, keys: jwks })).default([]),
    identityProviders: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((a) => a.verification !== 'required' || a.issuers.length > 0, {
    message: "verification 'required' needs at least one trusted issuer",
  });

export class ApprovalConfigError extends Error {
  override readonly name = 'ApprovalConfigError';
}

/** The default tenant's approval settings from `APPROVAL_VERIFICATION`, `APPROVAL_ISSUER`, `APPROVAL_KEYS_FILE`. */
export function approvalFromEnv(e: {
  APPROVAL_VERIFICATION?: string;
  APPROVAL_ISSUER?: string;
  APPROVAL_KEYS_FILE?: string;
  APPROVAL_IDENTITY_PROVIDERS?: string;
}): TenantApproval | undefined {
  const { APPROVAL_VERIFICATION: verification, APPROVAL_ISSUER: origin, APPROVAL_KEYS_FILE: keysFile } = e;
  if ((origin === undefined) !== (keysFile === undefined)) {
    throw new ApprovalConfigError('APPROVAL_ISSUER and APPROVAL_KEYS_FILE go together (both or neither)');
  }
  if (verification === undefined && origin === undefined) return undefined;
  const idps = e.APPROVAL_IDENTITY_PROVIDERS?.split(',').map((s) => s.trim());
  const parsed = approvalSettings.safeParse({
    verification,
    issuers: origin && keysFile ? [{ issuer: origin, keys: readKeys(keysFile) }] : [],
    ...(idps ? { identityProviders: idps } : {}),
  });
  if (!parsed.success) throw new ApprovalConfigError(`approval: ${describeConfigIssues(parsed.error.issues)}`);
  return parsed.data as TenantApproval;
}

function readKeys(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ApprovalConfigError(`APPROVAL_KEYS_FILE: ${fileProblem(err)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApprovalConfigError('APPROVAL_KEYS_FILE: not JSON');
  }
}
