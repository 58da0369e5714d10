import { activityInfo } from '@temporalio/activity';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  APPROVAL_AUDIENCE,
  APPROVAL_CLOCK_TOLERANCE_S,
  APPROVAL_TOKEN_ALGORITHM,
  APPROVAL_TOKEN_TYPE,
  DEFAULT_TENANT,
  isAutomationName,
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

type Peek<C> = (token: unknown) => C | null;

async function verifyWith<C extends { jti: string }>(token: string, trusted: TrustedIssuer, peek: Peek<C>): Promise<C> {
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
  const claims = peek(token);
  if (!claims || claims.jti !== payload.jti) throw new errors.JWTClaimValidationFailed('claims', payload);
  return claims;
}

/** What every signed token must also meet: an identity provider the tenant accepts, and a person's name. */
function signerProblem(claims: { idp: string; upn: string }, approval: TenantApproval): string | null {
  if (approval.identityProviders && !approval.identityProviders.includes(claims.idp)) {
    return 'the token names an identity provider this tenant does not accept';
  }
  // The approvals service never signs a playbook's name: one that says so was not minted by it for a person.
  if (isAutomationName(claims.upn)) return 'the token names a playbook or schedule, not a person';
  return null;
}

/**
 * The one verification of a signed token (approval or request): recognised by `peek`, signed by a key of an issuer
 * the tenant trusts (EdDSA only, `typ`, audience, expiry and lifetime), from an identity provider the tenant accepts.
 * What it is bound to (workflow, run, decision) is the caller's check.
 */
export async function verifySignedToken<C extends { iss: string; jti: string; idp: string; upn: string }>(
  token: string,
  approval: TenantApproval | undefined,
  peek: Peek<C>,
  kind: string,
): Promise<{ ok: true; claims: C } | { ok: false; problem: string }> {
  const peeked = peek(token);
  if (!peeked) return { ok: false, problem: `the token is not ${kind}` };
  const trusted = approval?.issuers.find((i) => i.issuer === peeked.iss);
  if (!approval || !trusted) return { ok: false, problem: 'the token was not issued by a trusted approvals service' };
  try {
    const claims = await verifyWith(token, trusted, peek);
    const problem = signerProblem(claims, approval);
    return problem ? { ok: false, problem } : { ok: true, claims };
  } catch (err) {
    return { ok: false, problem: problemOf(err) };
  }
}

/** Checks a verified token is for the calling workflow's run. */
function bindingProblem(claims: ApprovalTokenClaims): string | null {
  const caller = activityInfo().workflowExecution;
  if (claims.wid !== caller?.workflowId) return 'the token was minted for another workflow';
  if (claims.rid !== caller?.runId) return 'the token was minted for another run of this workflow';
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
      const verdict = await verifySignedToken(input.token, approval, peekApprovalToken, 'an approval token');
      if (!verdict.ok) return verdict;
      const problem = bindingProblem(verdict.claims);
      return problem ? { ok: false, problem } : verdict;
    },
  };
}
