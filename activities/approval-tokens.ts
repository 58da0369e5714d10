import { activityInfo } from '@temporalio/activity';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  APPROVAL_AUDIENCE,
  APPROVAL_CLOCK_TOLERANCE_S,
  APPROVAL_TOKEN_ALGORITHM,
  APPROVAL_TOKEN_TYPE,
  DEFAULT_TENANT,
  MAX_APPROVAL_TOKEN_LIFETIME_S,
  peekApprovalToken,
  type ApprovalTokenClaims,
  type ApprovalTokenVerdict,
  type ApprovalVerification,
} from '../contract/index.js';

/** An approvals service a tenant trusts: its origin (the tokens' `iss`) and its public signing keys. */
export interface TrustedIssuer {
  issuer: string;
  keys: JSONWebKeySet;
}

/** A tenant's approval settings, held by the worker: never in a workflow's input or history. */
export interface TenantApproval {
  /** Default: `required` when an issuer is configured, else `off`. */
  verification?: ApprovalVerification;
  issuers: readonly TrustedIssuer[];
  /** The identity providers (the tokens' `idp`) whose sign-ins count; absent: any the issuers vouch for. */
  identityProviders?: readonly string[];
}

/** The rule a tenant's decisions meet: as configured, else `required` as soon as it trusts an approvals service. */
export function verificationOf(approval: TenantApproval | undefined): ApprovalVerification {
  return approval?.verification ?? ((approval?.issuers.length ?? 0) > 0 ? 'required' : 'off');
}

/** A verification failure as a short reason: jose's error code, never the token or a key. */
function problemOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'the token was not signed by a trusted key';
  if (err instanceof errors.JOSEError) return `the token was refused (${err.code})`;
  return 'the token could not be verified';
}

async function verifyWith(token: string, trusted: TrustedIssuer): Promise<ApprovalTokenClaims> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(trusted.keys), {
    issuer: trusted.issuer,
    audience: APPROVAL_AUDIENCE,
    algorithms: [APPROVAL_TOKEN_ALGORITHM],
    typ: APPROVAL_TOKEN_TYPE,
    requiredClaims: ['sub', 'jti', 'iat', 'exp'],
    clockTolerance: APPROVAL_CLOCK_TOLERANCE_S,
    maxTokenAge: MAX_APPROVAL_TOKEN_LIFETIME_S + APPROVAL_CLOCK_TOLERANCE_S,
  });
  // The signature covers the payload; its shape is held to the contract's as the workflow read it.
  const claims = peekApprovalToken(token);
  if (!claims || claims.jti !== payload.jti) throw new errors.JWTClaimValidationFailed('claims', payload);
  return claims;
}

/** Checks a verified token is for the calling workflow's run and from an identity provider the tenant accepts. */
function bindingProblem(claims: ApprovalTokenClaims, approval: TenantApproval): string | null {
  const caller = activityInfo().workflowExecution;
  if (claims.wid !== caller?.workflowId) return 'the token was minted for another workflow';
  if (claims.rid !== caller?.runId) return 'the token was minted for another run of this workflow';
  if (approval.identityProviders && !approval.identityProviders.includes(claims.idp)) {
    return 'the token names an identity provider this tenant does not accept';
  }
  return null;
}

/**
 * The local activity that makes a decision count: the token's signature against the tenant's trusted issuer keys
 * (EdDSA only, `typ`, audience, issuer, expiry and lifetime), bound to the calling workflow's id and run. Answers
 * `{ ok: false, problem }` for a bad token instead of throwing: retrying would not make it good.
 */
export function createApprovalVerification(approvals: Readonly<Record<string, TenantApproval>> = {}) {
  return {
    async verifyApprovalToken(input: { tenant: string | null; token: string }): Promise<ApprovalTokenVerdict> {
      const approval = approvals[input.tenant ?? DEFAULT_TENANT];
      const peeked = peekApprovalToken(input.token);
      if (!peeked) return { ok: false, problem: 'the token is not an approval token' };
      const trusted = approval?.issuers.find((i) => i.issuer === peeked.iss);
      if (!approval || !trusted)
        return { ok: false, problem: 'the token was not issued by a trusted approvals service' };
      try {
        const claims = await verifyWith(input.token, trusted);
        const problem = bindingProblem(claims, approval);
        return problem ? { ok: false, problem } : { ok: true, claims };
      } catch (err) {
        return { ok: false, problem: problemOf(err) };
      }
    },
  };
}
