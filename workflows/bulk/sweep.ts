import * as wf from '@temporalio/workflow';
import { lookups } from './activities.js';
import type { MachineOutcome } from '../../contract/index.js';
import type { Batch } from './batch.js';

const SWEEP_EVERY_POLLS = 10;
/** Look-ups a flood of nudges can cause are this far apart at least. */
const REPORT_PAUSE_MS = 1_000;
/** A release says it ended just before it closes: the look-up gives it this long to close. */
const CLOSING_WAIT_MS = 10_000;

/** The waits the look-ups settle: the earlier runs' releases that have not been seen to end. */
export interface UnreportedReleases {
  unreported(): string[];
  readonly hasReports: boolean;
  takeReports(): string[];
  settle(machineId: string, outcome: MachineOutcome): void;
}

/**
 * Settles the earlier runs' releases from Temporal's record of them: those that said they ended (`releaseOutcome`)
 * at once, and every 10 poll intervals (10 s to 10 min) all of them, for those that ended without saying so
 * (terminated, timed out: neither runs code to report). Returns once none is left to wait on.
 */
export async function sweepUnreported(batch: Batch, window: UnreportedReleases): Promise<void> {
  const intervalMs = Math.min(Math.max(SWEEP_EVERY_POLLS * batch.request.pollIntervalMs, 10_000), 600_000);
  try {
    while (window.unreported().length > 0) {
      const nudged = await wf.condition(() => window.hasReports, intervalMs, {
        summary: 'look up the releases that have not reported',
      });
      const waiting = nudged ? window.takeReports() : window.unreported();
      if (waiting.length > 0) await lookUp(batch, window, waiting, nudged ? CLOSING_WAIT_MS : 0);
      if (nudged) await wf.sleep(REPORT_PAUSE_MS);
    }
  } catch (err) {
    // Cancelled with the run's wait (or the batch): nothing was left half done.
    if (!wf.isCancellation(err)) throw err;
  }
}

async function lookUp(batch: Batch, window: UnreportedReleases, machineIds: string[], waitForRunningMs: number) {
  try {
    const ended = await lookups.lookUpReleases({ batchWorkflowId: batch.workflowId, machineIds, waitForRunningMs });
    for (const { machineId, outcome } of ended) window.settle(machineId, outcome);
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    // Only a look-up failed: the releases are waited on as before, and looked up again next time.
    wf.log.warn('Could not look up the releases that have not reported', { error: String(err) });
  }
}
