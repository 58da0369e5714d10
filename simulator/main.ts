/**
 * `npm run simulator`: the Defender simulator on its own, with the demo machines, for trying the API by hand.
 * Environment: SIMULATOR_HOST (default 127.0.0.1), SIMULATOR_PORT (default 8089), SIMULATOR_TIME_SCALE (default 1),
 * SIMULATOR_RATE_LIMITS=off.
 */
import { DEFAULT_APP, DefenderSimulator, DEMO_MACHINES, seedDemoMachines } from './index.js';

async function main(): Promise<void> {
  const port = Number(process.env.SIMULATOR_PORT ?? 8089);
  const timeScale = Number(process.env.SIMULATOR_TIME_SCALE ?? 1);
  const simulator = new DefenderSimulator({
    host: process.env.SIMULATOR_HOST ?? '127.0.0.1',
    port,
    timeScale,
    rateLimits: process.env.SIMULATOR_RATE_LIMITS === 'off' ? false : undefined,
  });
  await simulator.start();
  seedDemoMachines(simulator);
  const { tenantId, clientId, clientSecret } = DEFAULT_APP;
  const machine = DEMO_MACHINES[0].id;
  console.log(`Defender simulator listening on ${simulator.url}
  tenant ${tenantId}
  client ${clientId}
  secret ${clientSecret}   (simulator only)
  isolated demo machines: ${DEMO_MACHINES.map((m) => `${m.id} (${m.computerDnsName})`).join(', ')}

Try:
  TOKEN=$(curl -s ${simulator.url}/${tenantId}/oauth2/v2.0/token \\
    -d grant_type=client_credentials -d client_id=${clientId} -d client_secret=${clientSecret} \\
    --data-urlencode scope=https://api.securitycenter.microsoft.com/.default | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')
  curl -s -X POST ${simulator.url}/api/machines/${machine}/unisolate \\
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"Comment":"Released after cleanup"}'
`);
  const stop = () => {
    void simulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
