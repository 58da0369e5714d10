import * as wf from '@temporalio/workflow';
import type { MachineActionSummary, MachineCheck, ReleaseRequest, ReleaseResult } from '../../contract/index.js';
import { approve } from './approval.js';
import { reportingToBatch } from './batch-report.js';
import { cancelAtDefender } from './cancellation.js';
import { checkMachine, isIsolated } from './check.js';
import { confirm } from './confirm.js';
import { registerReleaseHandlers } from './handlers.js';
import { ReleaseTracker } from './release-tracker.js';
import { submitUnisolate } from './submit.js';
import { validate } from './validate.js';
import { verify } from './verify.js';

/**
 * Releases one machine from network isolation in Microsoft Defender for Endpoint: validate → check the machine →
 * four-eyes approval → exactly one Unisolate action → confirm it is final → verify no isolation completed after it.
 * Every end other than success fails the workflow with a non-retryable ApplicationFailure of a contract type.
 */
export async function releaseMachine(input: ReleaseRequest): Promise<ReleaseResult> {
  const release = new ReleaseTracker(input);
  registerReleaseHandlers(release);
  return reportingToBatch(input, async () => {
    try {
      await validate(release);
      const machine = await checkMachine(release);
      const action = await releaseAction(release, machine);
      if (!action) return release.complete('already-released');
      const confirmed = await confirm(release, action);
      verify(release, confirmed);
      return release.complete('released', confirmed.verified);
    } catch (err) {
      if (wf.isCancellation(err)) await wf.CancellationScope.nonCancellable(() => cancelAtDefender(release));
      throw err;
    } finally {
      // An update being handled finishes before the workflow closes.
      await wf.condition(wf.allHandlersFinished);
    }
  });
}

/**
 * The Unisolate to follow: someone's release already in flight (watching needs no approval, and sends nothing), or —
 * once approved — exactly one of ours. Null when the machine is not isolated (any more).
 */
async function releaseAction(release: ReleaseTracker, machine: MachineCheck): Promise<MachineActionSummary | null> {
  if (machine.inFlightUnisolate) {
    release.follow(machine.inFlightUnisolate, 'adopted-in-flight');
    return machine.inFlightUnisolate;
  }
  if (!isIsolated(machine) && !machine.inFlightIsolate) return null;
  const { waited } = await approve(release);
  // After a wait for approval the machine may have changed: it is read again before acting.
  return submitUnisolate(release, machine, !waited);
}
