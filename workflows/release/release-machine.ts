import * as wf from '@temporalio/workflow';
import type { MachineCheck, ReleaseRequest, ReleaseResult } from '../../contract/index.js';
import { approve } from './approval.js';
import { reportingToBatch } from './batch-report.js';
import { cancelAtDefender } from './cancellation.js';
import { checkMachine, isIsolated } from './check.js';
import { confirm, type Followed } from './confirm.js';
import { registerReleaseHandlers } from './handlers.js';
import { ReleaseTracker } from './release-tracker.js';
import { submitUnisolate } from './submit.js';
import { validate } from './validate.js';
import { verify } from './verify.js';

/**
 * Releases one machine from network isolation in Microsoft Defender for Endpoint: validate → check the machine →
 * four-eyes approval → exactly one Unisolate action → confirm it is final → verify no isolation completed after it.
 * Every end other than success or cancellation fails the workflow with a non-retryable ApplicationFailure of a
 * contract type; a cancelled release ends with a CancelledFailure.
 */
export async function releaseMachine(input: ReleaseRequest): Promise<ReleaseResult> {
  const release = new ReleaseTracker(input);
  // The steps run in a scope of their own, which the `cancelRelease` update cancels; a Temporal cancellation cancels
  // the root scope, and this one with it. Either way the same clean-up runs.
  const steps = new wf.CancellationScope();
  registerReleaseHandlers(release, steps);
  return reportingToBatch(input, async () => {
    try {
      return await steps.run(() => releaseSteps(release));
    } catch (err) {
      if (!wf.isCancellation(err)) throw err;
      await wf.CancellationScope.nonCancellable(() => cancelAtDefender(release));
      throw cancelledFailure(release, err);
    } finally {
      // An update being handled finishes before the workflow closes.
      await wf.condition(wf.allHandlersFinished);
    }
  });
}

async function releaseSteps(release: ReleaseTracker): Promise<ReleaseResult> {
  await validate(release);
  const machine = await checkMachine(release);
  const action = await releaseAction(release, machine);
  if (!action) return release.complete('already-released');
  const confirmed = await confirm(release, action);
  verify(release, confirmed);
  return release.complete('released', confirmed.verified);
}

/**
 * How a cancelled release ends: after `cancelRelease`, a CancelledFailure saying who and why (Temporal then records the
 * run as failed with it: only a Temporal cancellation closes a run as cancelled); after a Temporal cancellation, as it
 * came (the run closes as cancelled).
 */
function cancelledFailure(release: ReleaseTracker, err: unknown): unknown {
  const { cancellation } = release.status;
  if (!cancellation) return err;
  return new wf.CancelledFailure(`cancelled by ${cancellation.by}: ${cancellation.reason}`, [cancellation]);
}

/**
 * The Unisolate to follow: someone's release already in flight (watching needs no approval, and sends nothing), or —
 * once approved — exactly one of ours. Null when the machine is not isolated (any more).
 */
async function releaseAction(release: ReleaseTracker, machine: MachineCheck): Promise<Followed | null> {
  if (machine.inFlightUnisolate) {
    release.follow(machine.inFlightUnisolate, 'adopted-in-flight');
    return { action: machine.inFlightUnisolate, watched: false };
  }
  if (!isIsolated(machine) && !machine.inFlightIsolate) return null;
  const { waited } = await approve(release);
  // After a wait for approval the machine may have changed: it is read again before acting.
  return submitUnisolate(release, machine, !waited);
}
