/**
 * Starts the approvals page: listens first (its origin is the redirect URI the provider must know), starts the local
 * demo provider when no OIDC_ISSUER is configured, discovers the provider, then serves the page.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import type { JWK } from 'jose';
import type { ApprovalsConfig } from './config.js';
import { startLocalProvider, type LocalProvider } from './idp/local-provider.js';
import { createApprovalsApp } from './page/app.js';
import { cliSignInFor } from './page/cli-id-token.js';
import { discoverProvider } from './page/oidc.js';
import { SessionStore } from './page/session.js';
import { loadSigningKey, type SigningKey } from './page/tokens.js';

export interface ApprovalsPage {
  origin: string;
  /** The provider people sign in at (the local demo one's address when no OIDC_ISSUER is configured). */
  issuer: string;
  /** Whether people sign in at the local demo provider (no OIDC_ISSUER). */
  localProvider: boolean;
  /** The public key the page signs approval tokens with: what a tenant that requires signed decisions trusts. */
  publicKeys: { keys: [JWK] };
  /** The CLI's client id at the provider (device-code sign-in); null: the page takes no CLI decisions. */
  cliClientId: string | null;
  close(): Promise<void>;
}

/**
 * The page's public keys as a JWKS file, the one a worker's APPROVAL_KEYS_FILE names to trust this page. It has a
 * folder of its own, which a worker may mount without reading the private key beside it.
 */
export const PUBLIC_KEYS_FILE = path.join('public', 'approvals-public-keys.json');

function writePublicKeys(dataDir: string, key: SigningKey): void {
  const file = path.join(dataDir, PUBLIC_KEYS_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ keys: [key.publicJwk] }, null, 2)}\n`);
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
    local =
      config.identityProvider.kind === 'local'
        ? await startLocal({ ...args, host: config.identityProvider.host }, redirectUri)
        : null;
    const provider = local
      ? { issuer: new URL(local.issuer), clientId: local.clientId, clientSecret: local.clientSecret }
      : (config.identityProvider as Exclude<ApprovalsConfig['identityProvider'], { kind: 'local' }>);
    const idp = await discoverProvider({ ...provider, redirectUri, approverGroup: config.approverGroup });
    const key = await loadSigningKey({ file: config.signingKeyFile, dataDir: args.dataDir });
    writePublicKeys(args.dataDir, key);
    const log = args.log ?? ((line: string) => console.log(line));
    const cliClientId = local ? local.cliClientId : config.cliClientId;
    const cliSignIn = cliClientId ? cliSignInFor(idp, cliClientId) : null;
    const sessions = new SessionStore();
    const tenantGroups = config.tenantGroups;
    const app = createApprovalsApp({ origin, idp, cliSignIn, client: args.client, key, sessions, log, tenantGroups });
    const listener = getRequestListener(app.fetch);
    server.on('request', (req, res) => void listener(req, res));
    return {
      origin,
      issuer: provider.issuer.href.replace(/\/$/, ''),
      localProvider: local !== null,
      publicKeys: { keys: [key.publicJwk] },
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
function startLocal(args: { host: string; localProviderPort?: number; localProviderKey?: JWK }, redirectUri: string) {
  return startLocalProvider({
    port: args.localProviderPort ?? 0,
    host: args.host,
    redirectUri,
    ...(args.localProviderKey ? { signingKey: args.localProviderKey } : {}),
  });
}
