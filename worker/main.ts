/**
 * The shipped worker (`node dist/worker/main.js`, the Docker image's command): connects to the Temporal server of
 * `TEMPORAL_ADDRESS` and releases through the configured Defender tenants. It starts nothing else: `npm start`
 * (dev/start.ts) is the one that brings an embedded dev server and the simulator.
 */
import { ConfigError, loadConfig } from './config.js';
import { installWorkerRuntime } from './runtime.js';
import { connectionOptions, runWorker } from './run-worker.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const address = config.temporal.address;
  if (!address) throw new ConfigError('invalid configuration: TEMPORAL_ADDRESS is required');
  if (!config.defender && Object.keys(config.tenants).length === 0) {
    throw new ConfigError(
      'invalid configuration: DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID and DEFENDER_CLIENT_SECRET (or DEFENDER_TENANTS_FILE) are required',
    );
  }
  installWorkerRuntime({
    log: config.log,
    metricsBindAddress: config.metricsBindAddress,
    otlpEndpoint: config.otlpEndpoint,
  });
  await runWorker({ config, connection: connectionOptions(config, address) });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
