/**
 * Worker crashes: 100 releases while the worker process is SIGKILLed at random moments (at least 20 times) and
 * restarted. Every release ends with its correct outcome and Defender (the simulator) sees no duplicate release action.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startRelease } from '../../client/release-client.js';
import type { DefenderSimulator } from '../../simulator/index.js';
import { startSimulator } from '../helpers/simulator.js';
import { connectTestEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

const RELEASES = Number(process.env.SOAK_RELEASES ?? 100);
const MIN_KILLS = Number(process.env.SOAK_MIN_KILLS ?? 20);
const WORKER = fileURLToPath(new URL('./fixtures/release-worker-process.ts', import.meta.url));

/** A deterministic pseudo-random sequence, so that a failing run can be repeated (SOAK_SEED). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('worker crash soak', () => {
  let env: TestWorkflowEnvironment;
  let sim: DefenderSimulator;
  const taskQueue = uniqueTaskQueue('soak');
  let worker: ChildProcess | undefined;

  before(async () => {
    env = await connectTestEnvironment();
    sim = await startSimulator({ rateLimits: false, defaultBehavior: { pendingMs: 400, inProgressMs: 800 } });
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await sim?.stop();
    await env?.teardown();
  });

  async function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: { ...process.env, WORKER_TASK_QUEUE: taskQueue, SIMULATOR_URL: sim.url },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`worker exited before it was ready (${code})`)));
    });
    return child;
  }

  it(`${RELEASES} releases, the worker SIGKILLed at least ${MIN_KILLS} times: correct outcomes, no duplicates`, async () => {
    const seed = Number(process.env.SOAK_SEED ?? Date.now() % 100_000);
    const next = random(seed);
    // The mix: most are released; some actions fail at Defender; some machines were never isolated; some do not exist.
    const expected = new Map<string, string>();
    for (let i = 0; i < RELEASES; i++) {
      const kind = i % 10;
      if (kind === 7) {
        expected.set(
          sim.addMachine({ isolated: true, behavior: { unisolateOutcome: 'Failed' } }).id,
          'MachineActionFailed',
        );
      } else if (kind === 8) {
        expected.set(sim.addMachine({ isolated: false }).id, 'already-released');
      } else if (kind === 9) {
        expected.set(i.toString(16).padStart(40, 'e'), 'MachineNotFound');
      } else {
        expected.set(sim.addMachine({ isolated: true }).id, 'released');
      }
    }
    const handles = await Promise.all(
      [...expected.keys()].map(async (machineId) => {
        const { handle } = await startRelease(
          env.client,
          {
            machineId,
            comment: 'Soak',
            requestedBy: 'alice@contoso.com',
            approval: { preApprovedBy: 'bob@contoso.com', reason: 'soak' },
            pollInterval: '1s',
            deadline: '10m',
          },
          // Started while the worker may be down (killed): the releases wait for it, as they would in production.
          { taskQueue, workflowId: `soak-${machineId}-${taskQueue}`, waitForWorkerMs: 0 },
        );
        return { machineId, handle };
      }),
    );
    const outcomes = new Map<string, string>();
    const settled = Promise.all(
      handles.map(async ({ machineId, handle }) => {
        try {
          outcomes.set(machineId, (await handle.result()).outcome);
        } catch (err) {
          const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
          outcomes.set(machineId, cause instanceof ApplicationFailure ? (cause.type ?? 'unknown') : String(err));
        }
      }),
    );

    let kills = 0;
    const started = Date.now();
    while (kills < MIN_KILLS || outcomes.size < RELEASES) {
      worker = await startWorker();
      if (kills >= MIN_KILLS) break; // enough kills: let this worker finish the rest
      await new Promise((resolve) => setTimeout(resolve, 300 + next() * 1700));
      const exited = new Promise((resolve) => worker!.once('exit', resolve));
      worker.kill('SIGKILL');
      await exited;
      kills++;
    }
    await settled;
    worker?.kill('SIGTERM');

    const unisolates = (id: string) => sim.machineActions(id).filter((a) => a.type === 'Unisolate').length;
    const duplicates = [...expected.keys()].filter((id) => unisolates(id) > 1);
    const wrong = [...expected].filter(([id, outcome]) => outcomes.get(id) !== outcome);
    console.log(
      `crash-soak: ${RELEASES} releases, ${kills} SIGKILLs (seed ${seed}), ${outcomes.size} ended, ` +
        `${wrong.length} wrong outcomes, ${duplicates.length} duplicate release actions, ${Math.round((Date.now() - started) / 1000)} s`,
    );
    assert.ok(kills >= MIN_KILLS);
    assert.deepEqual(wrong, [], 'every release ends with its correct outcome');
    assert.deepEqual(duplicates, [], 'zero duplicate release actions');
    for (const [id, outcome] of expected) {
      const want = outcome === 'released' || outcome === 'MachineActionFailed' ? 1 : 0;
      assert.equal(unisolates(id), want, `${id} (${outcome}) has ${want} release action(s)`);
    }
  });
});
