/**
 * The CLI's sign-in at the SOC's identity provider: the OAuth device authorization grant (RFC 8628) for the CLI's
 * public client, with openid-client. The person opens the provider's page in any browser and enters the code the CLI
 * prints; the CLI gets an ID token, keeps it in memory only, and hands it to the approvals page.
 */
import type { Io } from './cli-output.js';
import { VerifiedDecisionError, type SignInInfo } from './approvals-page-api.js';
import { isLoopbackUrl } from './approvals-url.js';

// openid-client is loaded only to sign in: `--id-token-file` and every other command work without it.
async function openidClient() {
  try {
    return await import('openid-client');
  } catch {
    const message = 'signing in needs the openid-client package (npm install openid-client@6), or use --id-token-file';
    throw new VerifiedDecisionError('SignInUnavailable', message, 1);
  }
}

/** Signs in with the device code flow; the ID token, or VerifiedDecisionError saying why not (never a token). */
export async function deviceSignIn(info: SignInInfo, io: Io): Promise<string> {
  const client = await openidClient();
  const issuer = new URL(info.issuer);
  if (issuer.protocol !== 'https:' && !isLoopbackUrl(issuer)) {
    throw new VerifiedDecisionError('SignInFailed', 'the identity provider is not https', 1);
  }
  const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
  try {
    const config = await client.discovery(issuer, info.clientId, undefined, client.None(), insecure);
    const device = await client.initiateDeviceAuthorization(config, { scope: info.scope });
    // The user code is no secret: it is useless without the person signing in at the provider.
    io.err(`To sign in, open ${device.verification_uri} and enter code ${device.user_code}`);
    if (device.verification_uri_complete) io.err(`  (or open ${device.verification_uri_complete})`);
    io.err(`Waiting for the sign-in (the code expires in ${Math.round(device.expires_in / 60)} min; Ctrl-C stops)…`);
    const tokens = await client.pollDeviceAuthorizationGrant(config, device);
    if (!tokens.id_token) throw new VerifiedDecisionError('SignInFailed', 'the identity provider sent no ID token', 1);
    return tokens.id_token;
  } catch (err) {
    if (err instanceof VerifiedDecisionError) throw err;
    throw new VerifiedDecisionError('SignInFailed', `sign-in failed: ${describe(err)}`, 1);
  }
}

/** openid-client's error as words: the OAuth error code (access_denied, expired_token) or its check, never a token. */
function describe(err: unknown): string {
  const e = err as { error?: unknown; code?: unknown; message?: unknown };
  if (e.error === 'access_denied') return 'it was refused or aborted at the identity provider';
  if (e.error === 'expired_token') return 'the code expired before anyone signed in; run the command again';
  if (typeof e.error === 'string') return e.error;
  if (typeof e.code === 'string') return e.code;
  return typeof e.message === 'string' ? e.message : 'unknown error';
}
