/**
 * The page's approval tokens: a compact JWS (EdDSA, Ed25519) per decision, binding who signed in at which provider,
 * the decision, the workflow and run, and the text, for two minutes. The worker trusts the public key this page
 * publishes at /.well-known/jwks.json. The private key is never logged nor shown.
 * Request tokens (`dec: 'request'`, the workflow id to start, no run) are signed the same way for verified requesters.
 * Nothing is signed for a `playbook:` or `schedule:` name: they name automation, which four-eyes compares with a person.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { isAutomationName } from '../../contract/index.js';
import type { SignedInUser } from './session.js';

export const APPROVAL_TOKEN_TYPE = 'defender-approval+jwt';
export const APPROVAL_AUDIENCE = 'defender-isolation';
export const APPROVAL_TOKEN_TTL_S = 120;

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

export interface SigningKey {
  privateKey: CryptoKey;
  /** The public JWK with its `kid` (RFC 7638 thumbprint), `alg` and `use`. */
  publicJwk: JWK;
}

/**
 * The configured key file (a private Ed25519 JWK), or, for the demo, one generated once and kept in `dataDir` (0600)
 * so that a restarted page keeps the key its tenants trust.
 */
export async function loadSigningKey(options: { file: string | null; dataDir: string }): Promise<SigningKey> {
  const file = options.file ?? path.join(options.dataDir, 'approvals-signing-key.jwk.json');
  if (!options.file && !existsSync(file)) {
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
    mkdirSync(options.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
  }
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch {
    // The message names the variable, not the file's content.
    throw new SigningKeyError('APPROVALS_SIGNING_KEY_FILE: could not be read as a JSON Web Key');
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string') {
    throw new SigningKeyError('APPROVALS_SIGNING_KEY_FILE: must hold a private Ed25519 JWK (kty OKP, crv Ed25519)');
  }
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  publicJwk.kid = await calculateJwkThumbprint(publicJwk);
  return {
    privateKey: (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey,
    publicJwk: { ...publicJwk, alg: 'EdDSA', use: 'sig' },
  };
}

export interface ApprovalClaims {
  decision: 'approve' | 'reject';
  workflowId: string;
  runId: string;
  /** The comment (approve) or reason (reject), as sent in the update. */
  text: string;
}

/** Thrown rather than signing a playbook's name: requesters named `playbook:` are compared with no token's. */
export class AutomationNameError extends Error {
  override readonly name = 'AutomationNameError';
  constructor() {
    super('the signed-in name starts with "playbook:" or "schedule:", which name automation: nothing is signed for it');
  }
}

/** Signs one decision of `user`, issued by the page at `origin`. */
export function mintApprovalToken(key: SigningKey, origin: string, user: SignedInUser, claims: ApprovalClaims) {
  return sign(key, origin, user, {
    dec: claims.decision,
    wid: claims.workflowId,
    rid: claims.runId,
    txt: claims.text,
  });
}

/** Signs `user`'s request to start the workflow `workflowId` (a release or a batch) with `text`, its comment. */
export function mintRequestToken(key: SigningKey, origin: string, user: SignedInUser, request: RequestClaims) {
  return sign(key, origin, user, { dec: 'request', wid: request.workflowId, txt: request.text });
}

export interface RequestClaims {
  workflowId: string;
  /** The request's comment, as it will be sent. */
  text: string;
}

async function sign(key: SigningKey, origin: string, user: SignedInUser, claims: Record<string, string>) {
  if (isAutomationName(user.upn)) throw new AutomationNameError();
  const issuedAt = Math.floor(Date.now() / 1000);
  return new SignJWT({ idp: user.idp, upn: user.upn, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: APPROVAL_TOKEN_TYPE, kid: key.publicJwk.kid! })
    .setIssuer(origin)
    .setAudience(APPROVAL_AUDIENCE)
    .setSubject(user.sub)
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + APPROVAL_TOKEN_TTL_S)
    .sign(key.privateKey);
}

/** How a log line names a token: the first 16 hex digits of its SHA-256, never the token. */
export const tokenFingerprint = (token: string): string =>
  createHash('sha256').update(token).digest('hex').slice(0, 16);
