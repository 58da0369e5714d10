/**
 * The local, offline OpenID provider of the demo and the tests (oidc-provider): the demo accounts, a sign-in form, and
 * two clients: the approvals page (confidential, authorization code with PKCE) and the CLI (public, device
 * authorization grant, RFC 8628). It binds to loopback only; production signs in at the SOC's own provider
 * (OIDC_ISSUER). oidc-provider warns "Unsupported runtime" on Node 20: it runs.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { accountBySub, accountByUpn, DEMO_PASSWORD } from './demo-accounts.js';
import { successSource, userCodeConfirmSource, userCodeInputSource } from './device-pages.js';
import { renderLoginForm } from './login-form.js';

export const LOCAL_CLIENT_ID = 'approvals-page';
/** The CLI's client: public (it cannot keep a secret), device authorization grant only. */
export const LOCAL_CLI_CLIENT_ID = 'defender-isolation-cli';

export interface LocalProvider {
  issuer: string;
  clientId: string;
  /** The page's client secret, made at start: it lives as long as this process. */
  clientSecret: string;
  /** The CLI's public client (device flow). */
  cliClientId: string;
  close(): Promise<void>;
}

/**
 * Starts the provider for a page whose sign-in ends at `redirectUri`, on 127.0.0.1 unless `host` says 0.0.0.0 (in a
 * container, whose port is published on the host's loopback: the issuer names 127.0.0.1 either way). `signingKey` (a
 * private RS256 JWK with its `kid`) lets a test sign ID tokens of its own making (expired, for another audience);
 * default: a new one.
 */
export async function startLocalProvider(options: {
  port?: number;
  host?: string;
  redirectUri: string;
  signingKey?: JWK;
}): Promise<LocalProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientSecret = randomBytes(32).toString('base64url');
  const signingKey = options.signingKey ?? (await newSigningKey());
  const provider = new Provider(
    issuer,
    providerConfiguration({ redirectUri: options.redirectUri, clientSecret, signingKey }),
  );
  const oidc = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(new URL(req.url ?? '/', issuer).pathname);
    if (!match) return void oidc(req, res);
    interact(provider, req, res, match[2] !== undefined).catch((err: unknown) => {
      res.statusCode = err instanceof errors.SessionNotFound ? 400 : 500;
      res.end(err instanceof errors.OIDCProviderError ? err.error : 'interaction failed');
    });
  });
  return {
    issuer,
    clientId: LOCAL_CLIENT_ID,
    clientSecret,
    cliClientId: LOCAL_CLI_CLIENT_ID,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** RS256, as Entra signs its ID tokens. */
async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `local-${randomBytes(4).toString('hex')}`, use: 'sig' };
}

function providerConfiguration(args: { redirectUri: string; clientSecret: string; signingKey: JWK }): Configuration {
  return {
    clients: [
      {
        client_id: LOCAL_CLIENT_ID,
        client_secret: args.clientSecret,
        redirect_uris: [args.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: LOCAL_CLI_CLIENT_ID,
        client_name: 'defender-isolation CLI',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'none',
      },
    ],
    jwks: { keys: [args.signingKey as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // PKCE for the confidential page too (oidc-provider requires it of public clients only by default).
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      // The CLI's sign-in: the person opens /device in a browser, enters the code, then signs in with the same form.
      deviceFlow: { enabled: true, userCodeInputSource, userCodeConfirmSource, successSource },
    },
    scopes: ['openid', 'profile', 'email'],
    claims: {
      openid: ['sub'],
      // `groups` comes with the profile, as Entra's comes from the app's token configuration, not from a scope.
      profile: ['name', 'preferred_username', 'oid', 'groups'],
      email: ['email', 'email_verified'],
    },
    // The page reads who signed in from the ID token, as it does with Entra; not from userinfo.
    conformIdTokenClaims: false,
    ttl: { IdToken: 600, AccessToken: 600, Session: 3600, Interaction: 600, Grant: 3600, DeviceCode: 600 },
    findAccount: (_ctx, sub) => {
      const account = accountBySub(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          oid: sub,
          name: account.name,
          preferred_username: account.upn,
          email: account.upn,
          email_verified: true,
          groups: account.groups,
        }),
      };
    },
    loadExistingGrant: firstPartyGrant,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
}

/** The page and the CLI are first-party: their grant is made here, and nobody is asked to consent. */
async function firstPartyGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(clientId);
  if (grantId) return oidc.provider.Grant.find(grantId);
  const grant = new oidc.provider.Grant({ clientId, accountId: oidc.session!.accountId! });
  grant.addOIDCScope('openid profile email');
  await grant.save();
  return grant;
}

/** The login prompt: the form, then its answer. Consent never shows (the grant exists), but finishes if asked. */
async function interact(provider: Provider, req: IncomingMessage, res: ServerResponse, posted: boolean) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {
    const consent = { consent: { grantId: details.grantId } };
    return provider.interactionFinished(req, res, consent, { mergeWithLastSubmission: true });
  }
  if (!posted || req.method !== 'POST') return renderLoginForm(res, details.uid);
  const form = await readForm(req);
  const account = accountByUpn(form.get('login') ?? '');
  if (!account || form.get('password') !== DEMO_PASSWORD) {
    return renderLoginForm(res, details.uid, 'Unknown user or wrong password');
  }
  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: account.sub } },
    { mergeWithLastSubmission: false },
  );
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 10_000) req.destroy(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}
