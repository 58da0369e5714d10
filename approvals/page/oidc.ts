/**
 * Sign-in at the SOC's identity provider: OpenID Connect authorization code with PKCE (openid-client). Who signed in
 * is read from the verified ID token (issuer, audience, expiry, nonce, signature against the provider's keys).
 */
import * as client from 'openid-client';
import type { PendingSignIn, SignedInUser } from './session.js';
import { SIGN_IN_TTL_MS } from './session.js';

/**
 * The standard scopes only: Entra refuses a `groups` scope and puts the `groups` claim in the ID token as the app's
 * token configuration says; the local provider gives it with `profile`.
 */
export const SCOPES = 'openid profile email';

/** Why a sign-in was refused; its message is shown to the person and logged, so it never holds a token or code. */
export class SignInError extends Error {
  override readonly name = 'SignInError';
  /** `NotAnApprover`: signed in, but not in the approver group; `SignInFailed`: no usable identity. */
  constructor(
    message: string,
    readonly type: 'SignInFailed' | 'NotAnApprover' = 'SignInFailed',
  ) {
    super(message);
  }
}

export interface IdentityProvider {
  config: client.Configuration;
  redirectUri: string;
  /** Null: anyone the provider signs in may decide (the workflow's approver lists still apply). */
  approverGroup: string | null;
}

/** Discovers the provider. Plain http only for a loopback issuer (the local demo provider): config refuses others. */
export async function discoverProvider(args: {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  approverGroup: string | null;
}): Promise<IdentityProvider> {
  const insecure = args.issuer.protocol === 'http:';
  const config = await client.discovery(
    args.issuer,
    args.clientId,
    args.clientSecret,
    undefined,
    insecure ? { execute: [client.allowInsecureRequests] } : undefined,
  );
  return { config, redirectUri: args.redirectUri, approverGroup: args.approverGroup };
}

/** Where to send the browser to sign in, and what to keep until it comes back. */
export async function beginSignIn(idp: IdentityProvider): Promise<{ url: URL; pending: PendingSignIn }> {
  const pending: PendingSignIn = {
    verifier: client.randomPKCECodeVerifier(),
    state: client.randomState(),
    nonce: client.randomNonce(),
    expiresAt: Date.now() + SIGN_IN_TTL_MS,
  };
  const url = client.buildAuthorizationUrl(idp.config, {
    redirect_uri: idp.redirectUri,
    scope: SCOPES,
    code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  });
  return { url, pending };
}

/** Redeems the code the provider sent back to `callbackUrl`; the person, or SignInError. */
export async function finishSignIn(idp: IdentityProvider, callbackUrl: URL, pending: PendingSignIn) {
  let claims: client.IDToken | undefined;
  try {
    const tokens = await client.authorizationCodeGrant(idp.config, callbackUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    claims = tokens.claims();
  } catch (err) {
    // openid-client's errors name the check that failed (state, nonce, signature…), not the code or tokens.
    const code = (err as { code?: unknown }).code;
    throw new SignInError(`sign-in failed${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  if (!claims) throw new SignInError('sign-in failed (no ID token)');
  return signedInUserFrom(claims, idp.approverGroup);
}

/**
 * Who signed in, from a verified ID token's claims: the browser's sign-in and the CLI's ID token read it alike.
 * SignInError when the token names nobody usable or the person is not in the approver group.
 */
export function signedInUserFrom(
  claims: { iss: string; sub: string; [claim: string]: unknown },
  approverGroup: string | null,
): SignedInUser {
  const upn = claims.preferred_username;
  const oid = claims.oid;
  if (typeof upn !== 'string' || upn.trim() === '') throw new SignInError('the ID token has no preferred_username');
  const groups = Array.isArray(claims.groups) ? claims.groups : [];
  if (approverGroup !== null && !groups.includes(approverGroup)) {
    throw new SignInError('you are not in the approvers group', 'NotAnApprover');
  }
  return {
    idp: claims.iss,
    sub: typeof oid === 'string' && oid !== '' ? oid : claims.sub,
    upn,
    name: typeof claims.name === 'string' ? claims.name : null,
  };
}
