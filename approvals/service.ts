/**
 * Starts the approvals page: listens first (its origin is the redirect URI the provider must know), starts the local
 * demo provider when no OIDC_ISSUER is configured, discovers the provider, then serves the page.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import type { ApprovalsConfig } from './config.js';
import { startLocalProvider, type LocalProvider } from './idp/local-provider.js';
import { createApprovalsApp } from './page/app.js';
import { discoverProvider } from './page/oidc.js';
import { SessionStore } from './page/session.js';
import { loadSigningKey } from './page/tokens.js';

export interface ApprovalsPage {
  origin: string;
  /** The provider people sign in at (the local demo one's address when no OIDC_ISSUER is configured). */
  issuer: string;
  /** Whether people sign in at the local demo provider (no OIDC_ISSUER). */
  localProvider: boolean;
  close(): Promise<void>;
}

export async function startApprovalsPage(args: {
  config: ApprovalsConfig;
  client: Client;
  dataDir: string;
  /** The local demo provider's port (0: any free one). */
  localProviderPort?: number;
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
        ? await startLocalProvider({ port: args.localProviderPort ?? 0, redirectUri })
        : null;
    const provider = local
      ? { issuer: new URL(local.issuer), clientId: local.clientId, clientSecret: local.clientSecret }
      : (config.identityProvider as Exclude<ApprovalsConfig['identityProvider'], { kind: 'local' }>);
    const idp = await discoverProvider({ ...provider, redirectUri, approverGroup: config.approverGroup });
    const key = await loadSigningKey({ file: config.signingKeyFile, dataDir: args.dataDir });
    const log = args.log ?? ((line: string) => console.log(line));
    const sessions = new SessionStore();
    const tenantGroups = config.tenantGroups;
    const app = createApprovalsApp({ origin, idp, client: args.client, key, sessions, log, tenantGroups });
    const listener = getRequestListener(app.fetch);
    server.on('request', (req, res) => void listener(req, res));
    return {
      origin,
      issuer: provider.issuer.href.replace(/\/$/, ''),
      localProvider: local !== null,
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
