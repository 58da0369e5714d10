/**
 * Temporal server restart: a dev server of this test's own, with a persistent SQLite file, is stopped and started
 * again while releases are in flight (awaiting approval, confirming). Every release resumes and ends correctly, with
 * exactly one release action each.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { approveRelease, getReleaseStatus, startRelease } from '../../client/release-client.js';
import type { DefenderSimulator } from '../../simulator/index.js';
import { SEARCH_ATTRIBUTES } from '../../contract/index.js';
import { freePort, startDevServer, type DevServer } from '../../dev/dev-server.js';
import { resolveTemporalCli } from '../../dev/temporal-cli.js';
import { createReleaseWorkers, type ReleaseWorkers } from '../../worker/worker.js';
import { clientFor, startSimulator } from '../helpers/simulator.js';
import { installTestRuntime, prebuiltWorkflows, RESULTS_DIR, uniqueTaskQueue } from '../helpers/temporal.js';

describe('Temporal server restart mid-flight', () => {
  let sim: DefenderSimulator;
  let server: DevServer | undefined;
  let cliPath: string;
  let port: number;
  const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'restart-')), 'temporal.sqlite');
  const taskQueue = uniqueTaskQueue('restart');

  const startServer = () =>
    startDevServer({
      cliPath,
      port,
      dbFile,
      searchAttributes: SEARCH_ATTRIBUTES,
      logFile: path.join(RESULTS_DIR, 'temporal-restart-server.log'),
    });

  before(async () => {
    installTestRuntime();
    const cli = resolveTemporalCli();
    cliPath = cli.path;
    port = await freePort();
    server = await startServer();
    sim = await startSimulator({ rateLimits: false });
  });
  after(async () => {
    await server?.stop();
    await sim?.stop();
  });

  it('releases awaiting approval and confirming survive a stop and start of the server', async () => {
    const address = `127.0.0.1:${port}`;
    const request = { comment: 'clean', requestedBy: 'alice@contoso.com', pollInterval: '1s', deadline: '10m' };
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const native = await NativeConnection.connect({ address });
    let workers: ReleaseWorkers | undefined;
    try {
      workers = await createReleaseWorkers({
        connection: native,
        taskQueue,
        defender: clientFor(sim),
        rateBudget: { perMinute: 6000, perHour: 360_000 },
        ...prebuiltWorkflows(),
      });
      const running = workers.run();

      // Five confirming (their devices offline until the server is back) and five awaiting approval when it stops.
      const slow = Array.from({ length: 5 }, () =>
        sim.addMachine({ isolated: true, behavior: { stuckPending: true } }),
      );
      const waiting = Array.from({ length: 5 }, () => sim.addMachine({ isolated: true }));
      const preApproved = { preApprovedBy: 'bob@contoso.com', reason: 'CHG-3' };
      const handles = [
        ...(await Promise.all(
          slow.map((m) => startRelease(client, { ...request, machineId: m.id, approval: preApproved }, { taskQueue })),
        )),
        ...(await Promise.all(
          waiting.map((m) => startRelease(client, { ...request, machineId: m.id }, { taskQueue })),
        )),
      ];
      const stateOf = async (id: string) => (await getReleaseStatus(client, id).catch(() => undefined))?.state;
      let inFlight = false;
      for (let i = 0; i < 300 && !inFlight; i++) {
        const states = await Promise.all(handles.map((h) => stateOf(h.workflowId)));
        inFlight =
          states.slice(0, 5).every((s) => s === 'confirming') &&
          states.slice(5).every((s) => s === 'awaiting-approval');
        if (!inFlight) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(inFlight, 'the releases are confirming and awaiting approval when the server stops');

      await server!.stop();
      server = undefined;
      // Down for a while, so that the workers' polls fail and retry; any length proves the same.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      server = await startServer();
      for (const m of slow) sim.bringOnline(m.id);

      for (const m of waiting) {
        for (let i = 0; ; i++) {
          try {
            await approveRelease(client, m.id, { approver: 'bob@contoso.com' });
            break;
          } catch (err) {
            if (i > 100) throw err;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
      }
      const results = await Promise.all(handles.map((h) => h.handle.result()));
      assert.deepEqual(
        results.map((r) => r.outcome),
        Array(10).fill('released'),
      );
      for (const m of [...slow, ...waiting]) {
        assert.equal(sim.machineActions(m.id).filter((a) => a.type === 'Unisolate').length, 1, 'one release each');
      }
      console.log(
        'server-restart: 10 releases in flight (5 confirming, 5 awaiting approval), 1 restart, 10 released, 0 duplicates',
      );
      workers.shutdown();
      await running;
    } finally {
      workers?.shutdown();
      await native.close();
      await connection.close();
    }
  });
});
