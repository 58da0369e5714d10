import { readFileSync } from 'node:fs';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { apiTaskQueue, nudgeTaskQueue } from '../contract/index.js';
import type { WorkerConfig } from './config.js';
import { activitiesPerSecond, type DefenderCredentials } from './defender.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { createTracingPlugin } from './tracing.js';
import { tenantsFromConfig } from './plugin-tenants.js';
import { createReleaseWorkers, type ReleaseWorkers } from './worker.js';

/** Where the worker connects: the configured server (with its TLS and API key), or a local one at `address`. */
export function connectionOptions(config: WorkerConfig, address: string): NativeConnectionOptions {
  const { temporal } = config;
  const options: NativeConnectionOptions = { address };
  if (temporal.apiKey) options.apiKey = temporal.apiKey;
  if (temporal.tls) {
    options.tls =
      temporal.clientCertPath && temporal.clientKeyPath
        ? { clientCertPair: { crt: readFileSync(temporal.clientCertPath), key: readFileSync(temporal.clientKeyPath) } }
        : true;
  }
  return options;
}

/**
 * Runs the release worker as configured until the runtime shuts it down (SIGINT/SIGTERM): registers the search
 * attributes, then the workflow worker with one rate-limited API worker per tenant.
 */
export async function runWorker(args: {
  config: WorkerConfig;
  connection: NativeConnectionOptions;
  /** The default tenant's credentials; the configuration's `DEFENDER_*` when absent. */
  defaultCredentials?: DefenderCredentials;
  /** Printed once the worker polls, after its own line (e.g. what to try next). */
  hint?: string;
}): Promise<void> {
  const { config } = args;
  const connection = await NativeConnection.connect(args.connection).catch((err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `cannot connect to Temporal at ${args.connection.address ?? '?'} (namespace ${config.temporal.namespace}): ${reason}`,
      { cause: err },
    );
  });
  try {
    const registered = await ensureSearchAttributes(connection, config.temporal.namespace);
    if (registered.length > 0) console.log(`Registered search attributes: ${registered.join(', ')}`);
    const workers = await createWorkers(config, connection, args.defaultCredentials ?? config.defender);
    console.log(describeWorkers(config, workers) + (args.hint ? `\n${args.hint}` : ''));
    await workers.run();
  } finally {
    await connection.close();
  }
}

async function createWorkers(
  config: WorkerConfig,
  connection: NativeConnection,
  defaultCredentials: DefenderCredentials | undefined,
): Promise<ReleaseWorkers> {
  return createReleaseWorkers({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    requestTimeoutMs: config.requestTimeoutMs,
    ...(config.temporal.deployment ? { deployment: config.temporal.deployment } : {}),
    ...(config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : {}),
    ...(config.otlpEndpoint ? { tracing: await createTracingPlugin({ otlpEndpoint: config.otlpEndpoint }) } : {}),
    tenants: tenantsFromConfig(config, defaultCredentials),
    nudge: { ratePerSecond: config.nudge.ratePerSecond, pageUrl: config.nudge.pageUrl },
  });
}

function describeWorkers(config: WorkerConfig, workers: ReleaseWorkers): string {
  const tq = config.temporal.taskQueue;
  const tenants = workers.plugin.tenants
    .map(
      (t) => `"${t.name}" on "${apiTaskQueue(tq, t.name)}" at most ${activitiesPerSecond(t.rateBudget).toFixed(3)}/s`,
    )
    .join(', ');
  return (
    (config.workflowBundlePath ? `Workflows from the prebuilt bundle ${config.workflowBundlePath}\n` : '') +
    (config.temporal.deployment
      ? `Worker Deployment "${config.temporal.deployment.deploymentName}", build "${config.temporal.deployment.buildId}" (releases pinned)\n`
      : '') +
    `Worker polling task queue "${tq}" in namespace "${config.temporal.namespace}"; Defender calls of tenant ` +
    tenants +
    describeNudges(
      config,
      workers.plugin.tenants.map((t) => t.name),
    ) +
    (config.metricsBindAddress ? `. Metrics: http://${config.metricsBindAddress}/metrics` : '') +
    '. Ctrl-C to stop.'
  );
}

/** Which tenants nudge on which channels (names only: the URLs are secrets), and at what pace. */
function describeNudges(config: WorkerConfig, served: string[]): string {
  const tenants = [
    ['default', config.nudge.urls] as const,
    ...Object.entries(config.tenants).map(([name, t]) => [name, t.nudge ?? {}] as const),
  ]
    .filter(([name, urls]) => served.includes(name) && Object.keys(urls).length > 0)
    .map(([name, urls]) => `"${name}" to ${Object.keys(urls).join(', ')}`);
  if (tenants.length === 0) return '';
  return `. Nudges of tenant ${tenants.join(', ')} on "${nudgeTaskQueue(config.temporal.taskQueue)}" at most ${config.nudge.ratePerSecond}/s`;
}
