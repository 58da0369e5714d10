/**
 * `npm start`: runs the release worker. With no TEMPORAL_ADDRESS it first starts an embedded Temporal dev server
 * (SQLite under .data/, Web UI on); with no Defender credentials it starts the Defender simulator with demo machines
 * (demo mode). With both configured it starts nothing else and talks to them.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { DEFAULT_APP, DefenderSimulator, DEMO_MACHINES, seedDemoMachines } from '../simulator/index.js';
import { ConfigError, loadConfig, type DefenderCredentials } from './config.js';
import { startDevServer, type DevServer } from './dev-server.js';
import { DATA_DIR } from './paths.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { resolveTemporalCli } from './temporal-cli.js';
import { activitiesPerSecond, createReleaseWorkers } from './worker.js';
import { installWorkerRuntime } from './runtime.js';
import { createTracingPlugin } from './tracing.js';
import { apiTaskQueue } from '../workflows/watcher-definitions.js';

async function main(): Promise<void> {
  const config = loadConfig();
  installWorkerRuntime({
    log: config.log,
    metricsBindAddress: config.metricsBindAddress,
    otlpEndpoint: config.otlpEndpoint,
  });
  const cleanups: (() => Promise<void>)[] = [];

  try {
    let address = config.temporal.address;
    if (!address) {
      const cli = await resolveTemporalCli({ allowDownload: true });
      const dbFile = path.join(DATA_DIR, 'temporal-dev.sqlite');
      if (cli.source === 'sdk-download') {
        const { TestWorkflowEnvironment } = await import('@temporalio/testing');
        const env = await TestWorkflowEnvironment.createLocal({
          server: {
            dbFilename: dbFile,
            port: config.temporal.devPort,
            uiPort: config.temporal.devUiPort,
            searchAttributes: [...SEARCH_ATTRIBUTES],
          },
        });
        cleanups.push(() => env.teardown());
        address = env.address;
      } else {
        const server: DevServer = await startDevServer({
          cliPath: cli.path,
          port: config.temporal.devPort,
          uiPort: config.temporal.devUiPort,
          dbFile,
          namespace: config.temporal.namespace,
          searchAttributes: SEARCH_ATTRIBUTES,
          logFile: path.join(DATA_DIR, 'temporal-dev-server.log'),
        });
        cleanups.push(() => server.stop());
        address = server.address;
      }
      console.log(`\nEmbedded Temporal dev server at ${address} (state in ${dbFile})`);
      console.log(`Temporal Web UI: http://127.0.0.1:${config.temporal.devUiPort}\n`);
    }

    let credentials: DefenderCredentials | undefined = config.demoMode === 'true' ? undefined : config.defender;
    if (!credentials) {
      const simulator = await new DefenderSimulator({ port: config.simulatorPort }).start();
      seedDemoMachines(simulator);
      cleanups.push(() => simulator.stop());
      credentials = {
        apiUrl: simulator.url,
        loginUrl: simulator.url,
        tenantId: DEFAULT_APP.tenantId,
        clientId: DEFAULT_APP.clientId,
        clientSecret: DEFAULT_APP.clientSecret,
        scope: 'https://api.securitycenter.microsoft.com/.default',
      };
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
    }

    const connectionOptions: NativeConnectionOptions = { address };
    if (config.temporal.address) {
      if (config.temporal.apiKey) connectionOptions.apiKey = config.temporal.apiKey;
      if (config.temporal.tls) {
        connectionOptions.tls =
          config.temporal.clientCertPath && config.temporal.clientKeyPath
            ? {
                clientCertPair: {
                  crt: readFileSync(config.temporal.clientCertPath),
                  key: readFileSync(config.temporal.clientKeyPath),
                },
              }
            : true;
      }
    }
    const connection = await NativeConnection.connect(connectionOptions);
    cleanups.unshift(() => connection.close());
    const registered = await ensureSearchAttributes(connection, config.temporal.namespace);
    if (registered.length > 0) console.log(`Registered search attributes: ${registered.join(', ')}`);

    const workers = await createReleaseWorkers({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      requestTimeoutMs: config.requestTimeoutMs,
      ...(config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
      ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : {}),
      ...(config.otlpEndpoint ? { tracing: createTracingPlugin({ otlpEndpoint: config.otlpEndpoint }) } : {}),
      tenants: {
        default: { credentials, rateBudget: config.rateBudget },
        ...Object.fromEntries(
          Object.entries(config.tenants).map(([name, t]) => [
            name,
            {
              credentials: t.credentials,
              rateBudget: {
                perMinute: t.rate?.perMinute ?? config.rateBudget.perMinute,
                perHour: t.rate?.perHour ?? config.rateBudget.perHour,
                timeScale: config.rateBudget.timeScale,
              },
            },
          ]),
        ),
      },
    });
    const tq = config.temporal.taskQueue;
    if (config.workflowBundlePath) console.log(`Workflows from the prebuilt bundle ${config.workflowBundlePath}`);
    console.log(
      `Worker polling task queue "${tq}" in namespace "${config.temporal.namespace}"; Defender calls of tenant ` +
        workers.plugin.tenants
          .map(
            (t) =>
              `"${t.name}" on "${apiTaskQueue(tq, t.name)}" at most ${activitiesPerSecond(t.rateBudget).toFixed(3)}/s`,
          )
          .join(', ') +
        (config.metricsBindAddress ? `. Metrics: http://${config.metricsBindAddress}/metrics` : '') +
        '. Ctrl-C to stop.\nTry: npx defender-isolation release 1e5bc9d7e413ddd7902c2932e418702b84d0cc07 ' +
        "--comment 'Clean after re-imaging' --requested-by alice@contoso.com",
    );
    // The runtime shuts the worker down on SIGINT/SIGTERM; run() then resolves.
    await workers.run();
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => console.error(err));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
