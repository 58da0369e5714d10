/**
 * Baselines of the benchmarks, registered next to ours through the plugin (bench only):
 * - timerLoopRelease, written as a playbook author would with Temporal: POST, then a workflow timer and one GET
 *   activity per poll until the action is final (history benchmark);
 * - hello, Temporal's floor: one workflow, one activity, and held, a workflow that only waits for a signal
 *   (worker-overhead benchmark).
 */
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export interface BenchActivities {
  postRelease(input: { machineId: string }): Promise<{ actionId: string }>;
  actionStatus(input: { actionId: string }): Promise<{ final: boolean; status: string }>;
  greet(input: { name: string }): Promise<string>;
}

const { postRelease, actionStatus, greet } = proxyActivities<BenchActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s' },
});

export async function timerLoopRelease(input: { machineId: string; pollIntervalMs: number }): Promise<string> {
  const { actionId } = await postRelease({ machineId: input.machineId });
  for (;;) {
    await sleep(input.pollIntervalMs);
    const { final, status } = await actionStatus({ actionId });
    if (final) return status;
  }
}

export async function hello(input: { name: string }): Promise<string> {
  return await greet({ name: input.name });
}

export const letGo = defineSignal('letGo');

export async function held(): Promise<void> {
  let go = false;
  setHandler(letGo, () => void (go = true));
  await condition(() => go);
}

/** Task-queue dispatch benchmark: `n` one-call activities on a rate-limited task queue, `lanes` at a time. */
export async function fanout(input: { n: number; lanes: number; taskQueue: string }): Promise<void> {
  const { tick } = proxyActivities<{ tick(): Promise<void> }>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: '5m',
  });
  let next = 0;
  const lane = async () => {
    while (next < input.n) {
      next += 1;
      await tick();
    }
  };
  await Promise.all(Array.from({ length: input.lanes }, lane));
}
