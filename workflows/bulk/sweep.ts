import * as wf from '@temporalio/workflow';
import { local } from './activities.js';
import type { MachineOutcome } from '../../contract/index.js';
import type { Batch } from './batch.js';

const SWEEP_EVERY_POLLS = 10;

/** The waits the sweep settles: the earlier runs' releases that have not reported. */
export interface UnreportedReleases {
  unreported(): string[];
  settle(machineId: string, outcome: MachineOutcome): void;
}

/**
 * Settles the earlier runs' releases that ended without reporting (terminated, timed out, replaced: none of these run
 * code to report), looking them up every 10 poll intervals (10 s to 10 min); returns once none is left to wait on.
 */
export async function sweepUnreported(batch: Batch, window: UnreportedReleases): Promise<void> {
  const intervalMs = Math.min(Math.max(SWEEP_EVERY_POLLS * batch.request.pollIntervalMs, 10_000), 600_000);
  try {
    for (;;) {
      await wf.sleep(intervalMs, { summary: 'look up the releases that have not reported' });
      const waiting = window.unreported();
      if (waiting.length === 0) return;
      try {
        const ended = await local.findUnreportedReleases({ batchWorkflowId: batch.workflowId, machineIds: waiting });
        for (const { machineId, outcome } of ended) {
          wf.log.warn('Release ended without reporting to its batch', { machineId, outcome });
          window.settle(machineId, outcome);
        }
      } catch (err) {
        if (wf.isCancellation(err)) throw err;
        // Only a lookup failed: the releases are waited on as before, and looked up again next time.
        wf.log.warn('Could not look up the releases that have not reported', { error: String(err) });
      }
    }
  } catch (err) {
    // Cancelled with the run's wait (or the batch): nothing was left half done.
    if (!wf.isCancellation(err)) throw err;
  }
}
