import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { DefenderSimulator } from '../simulator/index.js';
import { createReleaseWorkers, type RateBudget } from '../worker/worker.js';
import type { BulkReport } from '../contract/index.js';
import type { bulkRelease } from '../workflows/bulk/bulk-release.js';
import { simulatorClient, startBenchServer } from './setup.js';

/** Actions take 10 simulated minutes from POST to Succeeded. */
export const TEN_MINUTE_ACTIONS = { pendingMs: 300_000, inProgressMs: 300_000 };

export interface OurBulkResult {
  machines: number;
  released: number;
  seconds: number;
  calls: number;
  byEndpoint: Record<string, number>;
  throttled: number;
  duplicates: number;
  budget: RateBudget;
  /** From the first release POST to the last: the steady state, without start-up and the last actions' own duration. */
  postWindow: { seconds: number; posts: number; calls: number; longestPauseSeconds: number };
}

/**
 * One bulk release of `machines` isolated machines through Temporal (a local dev server of its own) against the
 * simulator with Defender's limits on, time-compressed `timeScale` times.
 */
export async function runOurBulk(options: {
  machines: number;
  timeScale: number;
  concurrency?: number;
  serverDefaults?: boolean;
}): Promise<OurBulkResult> {
  const { machines, timeScale } = options;
  const server = await startBenchServer({ serverDefaults: options.serverDefaults });
  const simulator = await new DefenderSimulator({
    timeScale,
    rateLimits: { perMinute: 100, perHour: 1500 },
    actionVisibilityDelayMs: 1_000,
    defaultBehavior: TEN_MINUTE_ACTIONS,
  }).start();
  try {
    const ids = Array.from({ length: machines }, () => simulator.addMachine({ isolated: true }).id);
    const connection = await NativeConnection.connect({ address: server.address });
    const budget = { perMinute: 100, perHour: 1500, timeScale };
    const workers = await createReleaseWorkers({
      connection,
      taskQueue: 'bench',
      rateBudget: budget,
      defender: simulatorClient(simulator),
    });
    const clientConnection = await Connection.connect({ address: server.address });
    const client = new Client({ connection: clientConnection });
    const started = Date.now();
    const report: BulkReport = await workers.runUntil(
      client.workflow.execute<typeof bulkRelease>('bulkRelease', {
        taskQueue: 'bench',
        workflowId: `bench-${Date.now()}`,
        args: [
          {
            machineIds: ids,
            comment: 'benchmark',
            requestedBy: 'bench',
            approval: { preApprovedBy: 'bench-approver', reason: 'benchmark' },
            concurrency: options.concurrency ?? 200,
            pollInterval: `${Math.max(1, Math.round(30 / timeScale))}s`,
            deadline: '1h',
          },
        ],
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const api = simulator.requests.filter((r) => r.endpoint !== 'token');
    const byEndpoint: Record<string, number> = {};
    for (const r of api) byEndpoint[r.endpoint] = (byEndpoint[r.endpoint] ?? 0) + 1;
    const posts = api.filter((r) => r.endpoint === 'unisolateMachine');
    const postTimes = posts.map((r) => Date.parse(r.at));
    const [first, last] = [postTimes[0]!, postTimes.at(-1)!];
    const longestPause = Math.max(0, ...postTimes.slice(1).map((t, i) => t - postTimes[i]!));
    const inWindow = api.filter((r) => Date.parse(r.at) >= first && Date.parse(r.at) <= last);
    await clientConnection.close();
    await connection.close();
    return {
      machines,
      released: report.counts.released ?? 0,
      seconds,
      calls: api.length,
      byEndpoint,
      throttled: api.filter((r) => r.status === 429).length,
      duplicates: ids.filter((id) => simulator.machineActions(id).filter((a) => a.type === 'Unisolate').length !== 1)
        .length,
      budget,
      postWindow: {
        seconds: (last - first) / 1000,
        posts: posts.length,
        calls: inWindow.length,
        longestPauseSeconds: longestPause / 1000,
      },
    };
  } finally {
    await simulator.stop();
    await server.stop();
  }
}
