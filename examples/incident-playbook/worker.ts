/**
 * The SOC's own worker: its playbook workflows and activities, plus the release workflows through the plugin.
 *
 *   TEMPORAL_ADDRESS=… DEFENDER_TENANT_ID=… DEFENDER_CLIENT_ID=… DEFENDER_CLIENT_SECRET=… \
 *     node --import tsx examples/incident-playbook/worker.ts
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { DefenderIsolationPlugin, ensureSearchAttributes, loadConfig } from 'defender-isolation/worker';

const config = loadConfig();
if (!config.defender) throw new Error('set DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID and DEFENDER_CLIENT_SECRET');
const connection = await NativeConnection.connect({ address: config.temporal.address ?? '127.0.0.1:7233' });
await ensureSearchAttributes(connection, config.temporal.namespace);

const worker = await Worker.create({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: 'soc-playbooks',
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: {/* the SOC's own activities */},
  plugins: [
    new DefenderIsolationPlugin({
      tenants: { default: { credentials: config.defender, rateBudget: config.rateBudget } },
    }),
  ],
});
await worker.run();
await connection.close();
