/**
 * The CLI's proof of who it signed in: an ID token the identity provider issued to the CLI's public client (device-code
 * sign-in), sent as `Authorization: Bearer`. Verified here with jose against the provider's published keys (issuer,
 * audience = the CLI's client id, expiry, signature), then read as the browser's sign-in is read. The token is never
 * logged nor echoed: refusals name the check that failed.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { IdentityProvider } from './oidc.js';
import { SignInError, signedInUserFrom } from './oidc.js';
import type { SignedInUser } from './session.js';

/** What the page needs to accept the CLI's ID tokens. */
export interface CliSignIn {
  issuer: string;
  clientId: string;
  keys: JWTVerifyGetKey;
  approverGroup: string | null;
}

/** A refusal of the API: its HTTP status, a stable type and a message that holds no token. */
export class ApiRefusal extends Error {
  override readonly name = 'ApiRefusal';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 415,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

// Entra's ID tokens are a few KiB with groups; far longer is not one.
const MAX_TOKEN_LENGTH = 16_384;
const CLOCK_TOLERANCE_S = 30;
// An ID token lives an hour at Entra; a decision takes one signed in just now, so one that leaked decides nothing later.
const MAX_TOKEN_AGE = '10m';

/** The discovered provider's issuer and keys, for ID tokens issued to `clientId`. */
export function cliSignInFor(idp: IdentityProvider, clientId: string): CliSignIn {
  const metadata = idp.config.serverMetadata();
  if (!metadata.jwks_uri) throw new Error('the identity provider publishes no jwks_uri');
  return {
    issuer: metadata.issuer,
    clientId,
    keys: createRemoteJWKSet(new URL(metadata.jwks_uri)),
    approverGroup: idp.approverGroup,
  };
}

/** The person an `Authorization: Bearer <ID token>` header proves, or ApiRefusal (401, or 403 outside the group). */
export async function userFromBearer(cli: CliSignIn, authorization: string | undefined): Promise<SignedInUser> {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization?.trim() ?? '');
  if (!match || match[1]!.length > MAX_TOKEN_LENGTH) {
    throw new ApiRefusal(
      401,
      'Unauthenticated',
      'send an ID token from the identity provider: Authorization: Bearer …',
    );
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(match[1]!, cli.keys, {
      issuer: cli.issuer,
      audience: cli.clientId,
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_S,
      maxTokenAge: MAX_TOKEN_AGE,
      // Asymmetric only: a symmetric algorithm would verify with whatever the token claims.
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
    }));
  } catch (err) {
    throw new ApiRefusal(401, 'TokenRefused', `the ID token was refused: ${problemOf(err)}`);
  }
  try {
    return signedInUserFrom(payload as { iss: string; sub: string }, cli.approverGroup);
  } catch (err) {
    if (!(err instanceof SignInError)) throw err;
    throw new ApiRefusal(err.type === 'NotAnApprover' ? 403 : 401, err.type, err.message);
  }
}

/** jose's verdict in words: which check failed, never the token. */
function problemOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'it has expired; sign in again';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return "it was issued to another client (aud is not the CLI's client id)";
    if (err.claim === 'iss') return 'it was issued by another identity provider (iss)';
    return `its ${err.claim} claim is not valid`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'its signature is not valid';
  if (err instanceof errors.JWKSNoMatchingKey) return "it was not signed by the identity provider's keys";
  if (err instanceof errors.JOSEError) return `it could not be verified (${err.code})`;
  return 'it could not be verified';
}
