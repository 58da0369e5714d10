/**
 * The baseline of the history benchmark, written as a playbook author would with Temporal: POST, then a workflow timer
 * and one GET activity per poll until the action is final. Bench only; registered next to ours through the plugin.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';

export interface BenchActivities {
  postRelease(input: { machineId: string }): Promise<{ actionId: string }>;
  actionStatus(input: { actionId: string }): Promise<{ final: boolean; status: string }>;
}

const { postRelease, actionStatus } = proxyActivities<BenchActivities>({
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
