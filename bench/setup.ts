import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DefenderClient } from '../activities/defender/client.js';
import { ClientCredentialsTokenSource } from '../activities/defender/token.js';
import { DEFAULT_APP, type DefenderSimulator } from '../simulator/index.js';
import { startDevServer, type DevServer } from '../dev/dev-server.js';
import { resolveTemporalCli } from '../dev/temporal-cli.js';
import { SEARCH_ATTRIBUTES } from '../contract/index.js';

let runtimeInstalled = false;

/**
 * A dev server of the benchmark's own (in memory, search attributes registered, exact task-queue rates unless
 * `serverDefaults`); SDK logs only on errors.
 */
export async function startBenchServer(
  options: { serverDefaults?: boolean; extraArgs?: string[] } = {},
): Promise<DevServer> {
  if (!runtimeInstalled) Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
  const cli = resolveTemporalCli();
  // BENCH_SERVER_ARGS: extra `temporal server start-dev` arguments, e.g. dynamic config for an experiment.
  const extraArgs = [
    ...(process.env.BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? []),
    ...(options.extraArgs ?? []),
  ];
  return startDevServer({
    cliPath: cli.path,
    searchAttributes: SEARCH_ATTRIBUTES,
    extraArgs,
    // --server-defaults: the classic matcher and four partitions per task queue, to compare.
    exactTaskQueueRates: !options.serverDefaults,
  });
}

/** The same DefenderClient the worker uses, against the simulator's default app (the simulator, or its URL). */
export function simulatorClient(simulator: DefenderSimulator | string, userAgent = 'bench'): DefenderClient {
  const url = typeof simulator === 'string' ? simulator : simulator.url;
  return new DefenderClient({
    apiUrl: url,
    userAgent,
    tokens: new ClientCredentialsTokenSource({ ...DEFAULT_APP, loginUrl: url, userAgent }),
  });
}
