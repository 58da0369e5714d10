import { ClientCredentialsTokenSource } from '../../activities/defender/token.js';
import { DefenderClient, type DefenderClientOptions } from '../../activities/defender/client.js';
import { DEFAULT_APP, DefenderSimulator, type SimulatorOptions } from '../../simulator/index.js';

export const USER_AGENT = 'defender-isolation-tests/0';

/** A simulator on a free loopback port; defaults to no action-visibility delay and fast lifecycles. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<DefenderSimulator> {
  return new DefenderSimulator({
    actionVisibilityDelayMs: 0,
    defaultBehavior: { pendingMs: 200, inProgressMs: 300 },
    ...options,
  }).start();
}

export function tokenSourceFor(
  simulator: DefenderSimulator,
  app = DEFAULT_APP,
  overrides: { scope?: string; clientSecret?: string } = {},
) {
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
