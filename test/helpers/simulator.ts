import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ClientCredentialsTokenSource } from '../../activities/defender/token.js';
import { DefenderClient, type DefenderClientOptions } from '../../activities/defender/client.js';
import { DEFAULT_APP, DefenderSimulator, type SimulatorOptions } from '../../simulator/index.js';

export const USER_AGENT = 'defender-isolation-tests/0';

const simulators: DefenderSimulator[] = [];
const clientSecrets = new Set<string>();

// Client secrets used and tokens issued in this process are written out when it exits, for the run's secret scan.
process.once('exit', () => {
  const secrets = [
    ...clientSecrets,
    ...simulators.flatMap((s) => s.apps.map((a) => a.clientSecret)),
    ...simulators.flatMap((s) => s.issuedTokens()),
  ];
  if (secrets.length === 0) return;
  const dir = path.join(process.env.TEST_RESULTS_DIR ?? path.resolve('test-results'), 'secrets');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `secrets-${process.pid}.txt`), `${[...new Set(secrets)].join('\n')}\n`);
});

/** A simulator on a free loopback port; defaults to no action-visibility delay and fast lifecycles. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<DefenderSimulator> {
  const simulator = await new DefenderSimulator({
    actionVisibilityDelayMs: 0,
    defaultBehavior: { pendingMs: 200, inProgressMs: 300 },
    ...options,
  }).start();
  simulators.push(simulator);
  return simulator;
}

export function tokenSourceFor(
  simulator: DefenderSimulator,
  app = DEFAULT_APP,
  overrides: { scope?: string; clientSecret?: string } = {},
) {
  clientSecrets.add(overrides.clientSecret ?? app.clientSecret);
  return new ClientCredentialsTokenSource({
    loginUrl: simulator.url,
    tenantId: app.tenantId,
    clientId: app.clientId,
    clientSecret: overrides.clientSecret ?? app.clientSecret,
    scope: overrides.scope,
    userAgent: USER_AGENT,
  });
}

export function clientFor(
  simulator: DefenderSimulator,
  options: Partial<DefenderClientOptions> & { tokens?: DefenderClientOptions['tokens'] } = {},
): DefenderClient {
  return new DefenderClient({
    apiUrl: simulator.url,
    tokens: options.tokens ?? tokenSourceFor(simulator),
    userAgent: USER_AGENT,
    requestTimeoutMs: options.requestTimeoutMs ?? 2_000,
    onResponse: options.onResponse,
  });
}
