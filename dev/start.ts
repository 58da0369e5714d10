/**
 * `npm start`: the release worker with everything it needs on one machine. With no TEMPORAL_ADDRESS it first starts an
 * embedded Temporal dev server (SQLite under .data/, Web UI on); with no Defender credentials (or DEMO_MODE=true) it
 * starts the Defender simulator with demo machines and says so loudly (demo mode). With both configured it starts
 * nothing else of the kind, like the shipped worker. Beside the worker it serves the approvals page (docs/approvals.md):
 * without OIDC_ISSUER, with the local demo identity provider on APPROVALS_LOCAL_IDP_PORT (default 8090).
 */
import path from 'node:path';
import { z } from 'zod';
import { Client, Connection } from '@temporalio/client';
import { ApprovalsConfigError, loadApprovalsConfig } from '../approvals/config.js';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '../approvals/idp/demo-accounts.js';
import type { ApprovalsPage } from '../approvals/service.js';
import { SEARCH_ATTRIBUTES } from '../contract/index.js';
import { DEFAULT_APP, DefenderSimulator, DEMO_MACHINES, seedDemoMachines } from '../simulator/index.js';
import { ConfigError, loadConfig, type WorkerConfig } from '../worker/config.js';
import type { DefenderCredentials } from '../worker/defender.js';
import { installWorkerRuntime } from '../worker/runtime.js';
import { connectionOptions, runWorker } from '../worker/run-worker.js';
import { startDevServer } from './dev-server.js';
import { startDemoNudges } from './nudge-receiver.js';
import { DATA_DIR } from './paths.js';
import { resolveTemporalCli } from './temporal-cli.js';

const port = z.coerce.number<string>().int().min(0).max(65535);

/** Variables of `npm start` only; the shipped worker's are in worker/config.ts. Messages never echo a value. */
const devSchema = z.object({
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_DEV_UI_PORT: port.default(8233),
  SIMULATOR_PORT: port.default(8089),
  APPROVALS_LOCAL_IDP_PORT: port.default(8090),
  APPROVALS_PAGE: z.enum(['on', 'off']).default('on'),
  DEMO_MODE: z.enum(['auto', 'true', 'false']).default('auto'),
});

const blankToUndefined = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.keys(devSchema.shape).map((k) => [k, env[k]?.trim() || undefined]));

type Cleanup = () => Promise<void>;

async function main(): Promise<void> {
  const config = loadConfig();
  const parsed = devSchema.safeParse(blankToUndefined(process.env));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`invalid configuration:\n${issues}`);
  }
  const dev = parsed.data;
  installWorkerRuntime({
    log: config.log,
    metricsBindAddress: config.metricsBindAddress,
    otlpEndpoint: config.otlpEndpoint,
  });
  const cleanups: Cleanup[] = [];
  try {
    const address = config.temporal.address ?? (await startEmbeddedServer(config, dev, cleanups));
    const demo = dev.DEMO_MODE === 'true' || (dev.DEMO_MODE === 'auto' && !config.defender);
    if (!demo && !config.defender && Object.keys(config.tenants).length === 0) {
      throw new ConfigError('invalid configuration: Defender credentials are required (DEMO_MODE=false)');
    }
    const defaultCredentials = demo ? await startDemoSimulator(dev.SIMULATOR_PORT, cleanups) : config.defender;
    cleanups.push(await startDemoNudges(config, defaultCredentials !== undefined));
    // A server we started ourselves is local and plain; a configured one keeps its TLS and API key.
    const connection = config.temporal.address ? connectionOptions(config, address) : { address };
    const page =
      dev.APPROVALS_PAGE === 'on'
        ? await startApprovals(config, connection, dev.APPROVALS_LOCAL_IDP_PORT, cleanups)
        : null;
    await runWorker({
      config: page ? trustingThePage(config, page) : config,
      connection,
      ...(defaultCredentials ? { defaultCredentials } : {}),
      hint: walkthroughHint(page),
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => console.error(err));
  }
}

async function startEmbeddedServer(
  config: WorkerConfig,
  dev: z.output<typeof devSchema>,
  cleanups: Cleanup[],
): Promise<string> {
  const cli = resolveTemporalCli();
  const dbFile = path.join(DATA_DIR, 'temporal-dev.sqlite');
  const server = await startDevServer({
    cliPath: cli.path,
    port: dev.TEMPORAL_DEV_PORT,
    uiPort: dev.TEMPORAL_DEV_UI_PORT,
    dbFile,
    namespace: config.temporal.namespace,
    searchAttributes: SEARCH_ATTRIBUTES,
    logFile: path.join(DATA_DIR, 'temporal-dev-server.log'),
  });
  cleanups.push(() => server.stop());
  console.log(`\nEmbedded Temporal dev server at ${server.address} (state in ${dbFile})`);
  console.log(`Temporal Web UI: http://127.0.0.1:${dev.TEMPORAL_DEV_UI_PORT}\n`);
  return server.address;
}

/**
 * With no approval settings of its own, the default tenant trusts the page started here, so decisions are signed in
 * at the page as in production; APPROVAL_VERIFICATION=off keeps named approvals for a lab.
 */
function trustingThePage(config: WorkerConfig, page: ApprovalsPage): WorkerConfig {
  if (config.approval) return config;
  console.log(`Decisions are verified: approve at ${page.origin} (named approvals: APPROVAL_VERIFICATION=off)\n`);
  return {
    ...config,
    approval: { verification: 'required', issuers: [{ issuer: page.origin, keys: page.publicKeys }] },
  };
}

function walkthroughHint(page: ApprovalsPage | null): string {
  const release =
    "npm run cli -- release 1e5bc9d7e413ddd7902c2932e418702b84d0cc07 --comment 'Clean after re-imaging' " +
    '--requested-by alice@contoso.com';
  return page ? `Try: ${release}, then open ${page.origin} and approve as bob@contoso.com` : `Try: ${release}`;
}

/** The approvals page beside the worker; without OIDC_ISSUER, with the local demo provider and its demo users. */
async function startApprovals(
  config: WorkerConfig,
  temporal: ReturnType<typeof connectionOptions>,
  idpPort: number,
  cleanups: Cleanup[],
): Promise<ApprovalsPage> {
  const approvalsConfig = loadApprovalsConfig();
  // Loaded only when served: its web framework and OpenID libraries are development dependencies, which the image's
  // demo (APPROVALS_PAGE=off) does not install.
  const { startApprovalsPage } = await import('../approvals/service.js');
  const connection = await Connection.connect(temporal);
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const page = await startApprovalsPage({
    config: approvalsConfig,
    client,
    dataDir: DATA_DIR,
    localProviderPort: idpPort,
  });
  cleanups.push(() => page.close());
  // Nudges link to this page unless APPROVALS_PAGE_URL says where the worker's approvers reach it.
  config.nudge.pageUrl ??= page.origin;
  const demoUsers = `demo users ${DEMO_ACCOUNTS.map((a) => a.upn).join(', ')}, password ${DEMO_PASSWORD}`;
  console.log(
    `Approvals page: ${page.origin} (sign-in at ${page.issuer}${page.localProvider ? `: ${demoUsers}` : ''})`,
  );
  if (page.cliClientId) {
    console.log("  from the CLI: npm run cli -- approve <machineId> --sign-in --comment '…' (device-code sign-in)");
  }
  console.log('');
  return page;
}

async function startDemoSimulator(port: number, cleanups: Cleanup[]): Promise<DefenderCredentials> {
  const simulator = await new DefenderSimulator({ port }).start();
  seedDemoMachines(simulator);
  cleanups.push(() => simulator.stop());
  console.log(
    [
      '*****************************************************************************************',
      '* DEMO MODE: no Defender credentials configured (DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID, *',
      '* DEFENDER_CLIENT_SECRET). Releases go to the local Defender SIMULATOR, not to Defender. *',
      '*****************************************************************************************',
      `Simulator: ${simulator.url}. Isolated demo machines:`,
      ...DEMO_MACHINES.map((m) => `  ${m.id}  ${m.computerDnsName}`),
      '',
    ].join('\n'),
  );
  return {
    apiUrl: simulator.url,
    loginUrl: simulator.url,
    tenantId: DEFAULT_APP.tenantId,
    clientId: DEFAULT_APP.clientId,
    clientSecret: DEFAULT_APP.clientSecret,
    scope: 'https://api.securitycenter.microsoft.com/.default',
  };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof ApprovalsConfigError ? err.message : err);
    process.exit(1);
  },
);
