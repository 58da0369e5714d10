import * as wf from '@temporalio/workflow';
import { correlationTag, type IsolationState, type MachineCheck } from '../../contract/index.js';
import { defenderCalls } from './activities.js';
import { endOnDefenderFailure } from './defender-failures.js';
import { needsEvidence, recordEvidence } from './evidence.js';
import type { ReleaseTracker } from './release-tracker.js';

/** The device is isolated as far as Defender knows: its newest succeeded isolation action is an Isolate. */
export const isIsolated = (state: Pick<IsolationState, 'newestSucceeded'>) => state.newestSucceeded?.type === 'Isolate';

/** Step 2: the machine and its isolation actions, read once (a batch hands over what it read in bulk). */
export async function checkMachine(release: ReleaseTracker): Promise<MachineCheck> {
  release.setState('checking');
  const request = release.request;
  const check = request.precheck ?? (await readMachine(release));
  release.status.computerDnsName = check.computerDnsName;
  recordEvidence(release, check);
  return check;
}

/**
 * One list call (with the device's health when a person will decide: same activity, no extra history). Any isolation
 * action proves the machine exists and names it; with none, only the machine itself can tell an unknown id (404:
 * machine-not-found) from a machine that was never isolated.
 */
async function readMachine(release: ReleaseTracker): Promise<MachineCheck> {
  const withDevice = needsEvidence(release.request);
  const { ours: _ours, ...state } = await listIsolation(release, 'checking the machine', { withDevice });
  const any = state.newestSucceeded ?? state.inFlightUnisolate ?? state.inFlightIsolate;
  if (any) return { computerDnsName: any.computerDnsName, ...state };
  const { machineId } = release.request;
  try {
    const machine = await defenderCalls(release.request, { summary: `GET machine ${machineId}` }).getMachine({
      machineId,
    });
    return { computerDnsName: machine.computerDnsName, ...state };
  } catch (err) {
    endOnDefenderFailure(release, err, 'checking the machine');
    throw err;
  }
}

/** One list call: the machine's isolation actions, and the Unisolate this run created, if any. */
export async function listIsolation(
  release: ReleaseTracker,
  step: string,
  options: { withDevice?: boolean } = {},
): Promise<IsolationState> {
  const request = release.request;
  const info = wf.workflowInfo();
  try {
    return await defenderCalls(request, {
      summary: `List isolation actions of ${request.machineId}`,
    }).listIsolationActions({
      machineId: request.machineId,
      correlationTag: correlationTag(info.workflowId, info.runId),
      ...(options.withDevice ? { withDevice: true } : {}),
    });
  } catch (err) {
    endOnDefenderFailure(release, err, step);
    throw err;
  }
}
