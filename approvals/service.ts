/**
 * Starts the approvals page: listens first (its origin is the redirect URI the provider must know), starts the local
 * demo provider when no OIDC_ISSUER is configured, discovers the provider, then serves the page.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import type { JWK } from 'jose';
import type { ApprovalsConfig } from './config.js';
import { startLocalProvider, type LocalProvider } from './idp/local-provider.js';
import { createApprovalsApp } from './page/app.js';
import { cliSignInFor } from './page/cli-id-token.js';
import { discoverProvider } from './page/oidc.js';
import { SessionStore } from './page/session.js';
import { loadSigningKey } from './page/tokens.js';

export interface ApprovalsPage {
  origin: string;
  /** The provider people sign in at (the local demo one's address when no OIDC_ISSUER is configured). */
  issuer: string;
  /** Whether people sign in at the local demo provider (no OIDC_ISSUER). */
  localProvider: boolean;
  /** The CLI's client id at the provider (device-code sign-in); null: the page takes no CLI decisions. */
  cliClientId: string | null;
  close(): Promise<void>;
}

export async function startApprovalsPage(args: {
  config: ApprovalsConfig;
  client: Client;
  dataDir: string;
  /** The local demo provider's port (0: any free one). */
  localProviderPort?: number;
  /** The local demo provider's ID token signing key (a private RS256 JWK): tests sign tokens of their own with it. */
  localProviderKey?: JWK;
  log?: (line: string) => void;
}): Promise<ApprovalsPage> {
  const { config } = args;
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(config.bind.port, config.bind.host, resolve));
  const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  let local: LocalProvider | null = null;
  try {
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const origin = config.pageUrl ?? `http://${host}:${address.port}`;
    const redirectUri = `${origin}/callback`;
    local = config.identityProvider.kind === 'local' ? await startLocal(args, redirectUri) : null;
    const provider = local
      ? { issuer: new URL(local.issuer), clientId: local.clientId, clientSecret: local.clientSecret }
      : (config.identityProvider as Exclude<ApprovalsConfig['identityProvider'], { kind: 'local' }>);
    const idp = await discoverProvider({ ...provider, redirectUri, approverGroup: config.approverGroup });
    const key = await loadSigningKey({ file: config.signingKeyFile, dataDir: args.dataDir });
    const log = args.log ?? ((line: string) => console.log(line));
    const cliClientId = local ? local.cliClientId : config.cliClientId;
    const cliSignIn = cliClientId ? cliSignInFor(idp, cliClientId) : null;
    const sessions = new SessionStore();
    const app = createApprovalsApp({ origin, idp, cliSignIn, client: args.client, key, sessions, log });
    const listener = getRequestListener(app.fetch);
    server.on('request', (req, res) => void listener(req, res));
    return {
      origin,
      issuer: provider.issuer.href.replace(/\/$/, ''),
      localProvider: local !== null,
      cliClientId,
      close: async () => {
        server.closeAllConnections();
        await closeServer();
        await local?.close();
      },
    };
  } catch (err) {
    await closeServer();
    await local?.close();
    throw err;
  }
}

/** The local demo provider (no OIDC_ISSUER), for the page's sign-in at `redirectUri` and the CLI's device flow. */
function startLocal(args: { localProviderPort?: number; localProviderKey?: JWK }, redirectUri: string) {
  return startLocalProvider({
    port: args.localProviderPort ?? 0,
    redirectUri,
    ...(args.localProviderKey ? { signingKey: args.localProviderKey } : {}),
  });
}
