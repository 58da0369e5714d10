/**
 * Approval tokens as an approvals service mints them (the contract's design), and the forgeries a test tries: signed
 * by an untrusted key, tampered, expired, for another workflow or run. Keys are made per test run and never stored.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { APPROVAL_AUDIENCE, APPROVAL_TOKEN_TYPE, type ApprovalTokenClaims } from '../../contract/index.js';
import type { TenantApproval } from '../../activities/index.js';

export const APPROVALS_ORIGIN = 'https://approvals.contoso.test';
export const IDP = 'https://login.microsoftonline.com/contoso/v2.0';

export interface SigningKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
}

export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('Ed25519');
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { privateKey, publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }, kid };
}

/** A tenant's approval settings trusting `key` for tokens of `APPROVALS_ORIGIN`. */
export function trusting(key: SigningKey, extra: Partial<TenantApproval> = {}): TenantApproval {
  return {
    issuers: [{ issuer: APPROVALS_ORIGIN, keys: { keys: [key.publicJwk] } }],
    identityProviders: [IDP],
    ...extra,
  };
}

export interface TokenRequest {
  key: SigningKey;
  upn: string;
  dec: 'approve' | 'reject';
  wid: string;
  rid: string;
  txt?: string;
  /** Seconds from now (may be negative); defaults to now and now + 120 s. */
  iatIn?: number;
  expIn?: number;
  jti?: string;
  /** Overrides for a forgery (another typ, issuer, claims). */
  header?: Record<string, unknown>;
  claims?: Partial<Record<Exclude<keyof ApprovalTokenClaims, 'iss' | 'sub' | 'aud' | 'jti' | 'iat' | 'exp'>, unknown>>;
}

/** A token as the approvals page mints it for a signed-in user. */
export async function mintApprovalToken(r: TokenRequest): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = now + (r.iatIn ?? 0);
  return new SignJWT({
    idp: IDP,
    upn: r.upn,
    dec: r.dec,
    wid: r.wid,
    rid: r.rid,
    txt: r.txt ?? '',
    ...r.claims,
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: APPROVAL_TOKEN_TYPE, kid: r.key.kid, ...r.header })
    .setIssuer(APPROVALS_ORIGIN)
    .setAudience(APPROVAL_AUDIENCE)
    .setSubject(`oid-${r.upn}`)
    .setJti(r.jti ?? randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(now + (r.expIn ?? 120))
    .sign(r.key.privateKey);
}

export interface RequestTokenRequest {
  key: SigningKey;
  upn: string;
  /** The workflow id the request starts. */
  wid: string;
  txt?: string;
  iatIn?: number;
  expIn?: number;
  /** Overrides for a forgery (another `dec`, a `rid`, another idp). */
  claims?: Record<string, unknown>;
}

/** A request token as the approvals page mints it (`POST /api/requests`): who asks, for which workflow id; no run. */
export async function mintRequestToken(r: RequestTokenRequest): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ idp: IDP, upn: r.upn, dec: 'request', wid: r.wid, txt: r.txt ?? '', ...r.claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: APPROVAL_TOKEN_TYPE, kid: r.key.kid })
    .setIssuer(APPROVALS_ORIGIN)
    .setAudience(APPROVAL_AUDIENCE)
    .setSubject(`oid-${r.upn}`)
    .setJti(randomUUID())
    .setIssuedAt(now + (r.iatIn ?? 0))
    .setExpirationTime(now + (r.expIn ?? 120))
    .sign(r.key.privateKey);
}

/** The same token with one payload claim changed and the signature kept: what tampering in transit gives. */
export function tampered(token: string, change: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...change };
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
