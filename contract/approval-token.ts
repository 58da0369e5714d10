/**
 * Verified approvals: a decision proven by a short-lived signed token (compact JWS, EdDSA) that an approvals service
 * mints after the identity provider signed the approver in. Workflow-safe: the update validators read a token here
 * without verifying it (cheap refusals that leave no history); the signature is checked by a local activity with the
 * tenant's trusted keys before the decision counts.
 */

/** The JWS header's `typ`: a token minted for something else (an ID or access token) is never one of these. */
export const APPROVAL_TOKEN_TYPE = 'defender-approval+jwt';
export const APPROVAL_TOKEN_ALGORITHM = 'EdDSA';
/** The `aud` every approval token carries. */
export const APPROVAL_AUDIENCE = 'defender-isolation';
/** A token lives at most this long (`exp - iat`): long enough to click, too short to hoard. */
export const MAX_APPROVAL_TOKEN_LIFETIME_S = 300;
/** Clock skew allowed between the approvals service and the workflow. */
export const APPROVAL_CLOCK_TOLERANCE_S = 30;
// A compact EdDSA JWS of these claims is well under 2 KiB; anything far longer is not one.
const MAX_TOKEN_LENGTH = 4096;

/**
 * Per tenant: `required` counts only decisions proven by a token; `off` keeps named approvals (the approver's name as
 * sent, unverified), for labs.
 */
export type ApprovalVerification = 'required' | 'off';

/** What an approval token asserts. `upn` is the name the decision records; `sub`/`idp` who the IdP said it was. */
export interface ApprovalTokenClaims {
  iss: string;
  aud: string | string[];
  /** The approver's subject (object id) at the identity provider. */
  sub: string;
  /** The identity provider's issuer. */
  idp: string;
  /** The approver's preferred_username. */
  upn: string;
  dec: 'approve' | 'reject';
  /** The workflow id and run id the decision is for. */
  wid: string;
  rid: string;
  /** The comment (approve) or reason (reject); may be ''. */
  txt: string;
  jti: string;
  iat: number;
  exp: number;
}

/**
 * What a request token asserts: the person who starts a release or batch (`upn`), for that workflow id (`wid`), with
 * the request's comment (`txt`). Minted by the approvals service as approval tokens are, with the same keys; no `rid`.
 */
export interface RequestTokenClaims extends Omit<ApprovalTokenClaims, 'dec' | 'rid'> {
  dec: 'request';
}

/** A person's request proven by a request token, as the status shows it: who vouched, never the token. */
export interface VerifiedRequester {
  verified: true;
  iss: string;
  sub: string;
  idp: string;
  jti: string;
}

/** The proof a verified decision keeps in the status: who vouched (issuer, identity provider) and which token. */
export interface VerifiedApproval {
  iss: string;
  sub: string;
  idp: string;
  jti: string;
}

/** The local activity's answer: never an exception for a bad token (a retry would not make it good). */
export type ApprovalTokenVerdict = { ok: true; claims: ApprovalTokenClaims } | { ok: false; problem: string };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url to bytes by hand: the workflow sandbox has TextDecoder but neither Buffer nor atob. */
function base64urlBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (const ch of text) {
    acc = ((acc << 6) | ALPHABET.indexOf(ch)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

function decodeJson(part: string): unknown {
  const bytes = base64urlBytes(part);
  if (!bytes) return null;
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
}

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** The claims every signed token carries, of the right shapes; false when one is missing or of another type. */
function hasCommonClaims(p: Record<string, unknown>): boolean {
  const texts = [p.iss, p.sub, p.idp, p.upn, p.wid, p.jti].every((v) => isText(v, 1000));
  return texts && typeof p.txt === 'string' && isTime(p.iat) && isTime(p.exp);
}

/** Claims of the right shapes, or null: a token missing one is malformed whoever signed it. */
function asClaims(p: Record<string, unknown>): ApprovalTokenClaims | null {
  if (!hasCommonClaims(p) || !isText(p.rid, 1000)) return null;
  if (p.dec !== 'approve' && p.dec !== 'reject') return null;
  return p as unknown as ApprovalTokenClaims;
}

/** A request token's claims: `dec: 'request'` and no run (the run does not exist before the start). */
function asRequestClaims(p: Record<string, unknown>): RequestTokenClaims | null {
  if (!hasCommonClaims(p) || p.dec !== 'request' || p.rid !== undefined) return null;
  return p as unknown as RequestTokenClaims;
}

/** The payload of a compact JWS of this contract's `typ` and `alg`, read WITHOUT its signature, or null. */
function peekPayload(token: unknown): Record<string, unknown> | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = decodeJson(parts[0]!) as Record<string, unknown> | null;
    const payload = decodeJson(parts[1]!) as Record<string, unknown> | null;
    if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object') return null;
    if (header.alg !== APPROVAL_TOKEN_ALGORITHM || header.typ !== APPROVAL_TOKEN_TYPE) return null;
    return payload;
  } catch {
    return null;
  }
}

/**
 * An approval token's claims, read WITHOUT checking its signature, or null when it is not an approval token (not a
 * string, not three parts, not base64url JSON, another `typ` or `alg`, a claim missing or of the wrong type, a request
 * token). For cheap refusals only: nothing read here counts until the local activity verified the signature.
 */
export function peekApprovalToken(token: unknown): ApprovalTokenClaims | null {
  const payload = peekPayload(token);
  return payload ? asClaims(payload) : null;
}

/** A request token's claims, read WITHOUT checking its signature, or null when it is not one (an approval token). */
export function peekRequestToken(token: unknown): RequestTokenClaims | null {
  const payload = peekPayload(token);
  return payload ? asRequestClaims(payload) : null;
}

/**
 * Whether a requester is automation rather than a person: a playbook (`playbook:<name>`) or one of this project's
 * schedules (`schedule:<id>`, which names the requester of each run). Automation proves nothing with a token; the
 * approvals service never signs such a name, so no approver can pass for one.
 */
export const AUTOMATION_PREFIXES = ['playbook:', 'schedule:'] as const;
export const isAutomationName = (name: string): boolean => {
  const folded = name.normalize('NFKC').trim().toLowerCase();
  return AUTOMATION_PREFIXES.some((prefix) => folded.startsWith(prefix));
};

/**
 * Why a token read by `peekApprovalToken` cannot be for this decision now, or null. `nowMs` is the workflow's time;
 * the same rules (with the signature) are applied again by the local activity on the worker's clock.
 */
export function approvalTokenProblem(
  claims: ApprovalTokenClaims,
  expected: { verb: 'approve' | 'reject'; workflowId: string; runId: string; nowMs: number },
): string | null {
  const nowS = expected.nowMs / 1000;
  if (claims.dec !== expected.verb) return `the token decides "${claims.dec}", not "${expected.verb}"`;
  if (claims.wid !== expected.workflowId) return 'the token was minted for another workflow';
  if (claims.rid !== expected.runId) return 'the token was minted for another run of this workflow';
  if (claims.exp - claims.iat > MAX_APPROVAL_TOKEN_LIFETIME_S || claims.exp <= claims.iat) {
    return `the token's lifetime exceeds ${MAX_APPROVAL_TOKEN_LIFETIME_S} s`;
  }
  if (claims.exp + APPROVAL_CLOCK_TOLERANCE_S <= nowS) return 'the token has expired';
  if (claims.iat - APPROVAL_CLOCK_TOLERANCE_S > nowS) return 'the token was issued in the future';
  return null;
}
