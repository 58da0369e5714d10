/**
 * `npm run approvals`: the approvals page on its own, beside a running worker. Temporal from TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE and the TLS/API key variables the CLI reads; the page from OIDC_* and APPROVALS_* (config.ts).
 * Without OIDC_ISSUER it signs people in at the local demo provider (APPROVALS_LOCAL_IDP_PORT, default 8090).
 */
import path from 'node:path';
import { TemporalConnectionError, temporalTarget, withTemporal } from '../client/cli-connection.js';
import { CliUsageError } from '../client/cli-output.js';
import { PROJECT_ROOT } from '../worker/paths.js';
import { ApprovalsConfigError, loadApprovalsConfig } from './config.js';
import { startApprovalsPage } from './service.js';
import { SigningKeyError } from './page/tokens.js';

async function main(): Promise<void> {
  const config = loadApprovalsConfig();
  const idpPort = Number(process.env.APPROVALS_LOCAL_IDP_PORT ?? 8090);
  if (!Number.isInteger(idpPort) || idpPort < 0 || idpPort > 65535) {
    throw new ApprovalsConfigError('APPROVALS_LOCAL_IDP_PORT: must be a port number');
  }
  await withTemporal(temporalTarget({}), async (client) => {
    const page = await startApprovalsPage({
      config,
      client,
      dataDir: path.join(PROJECT_ROOT, '.data'),
      localProviderPort: idpPort,
    });
    console.log(
      `Approvals page: ${page.origin} (sign-in at ${page.issuer}${page.localProvider ? ', local demo' : ''}; ` +
        `${page.cliClientId ? `CLI sign-in as client ${page.cliClientId}` : 'no CLI sign-in: OIDC_CLI_CLIENT_ID unset'})`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await page.close();
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const known = [ApprovalsConfigError, SigningKeyError, CliUsageError, TemporalConnectionError];
    console.error(known.some((type) => err instanceof type) ? (err as Error).message : err);
    process.exit(1);
  },
);
