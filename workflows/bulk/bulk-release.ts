import * as wf from '@temporalio/workflow';
import type { BulkReleaseRequest, BulkReport } from '../../contract/index.js';
import { continuedAsNew } from '../continued-run.js';
import { approveBatch } from './approval.js';
import { Batch, type BulkResume } from './batch.js';
import type { MachineRead } from './check.js';
import { registerBatchHandlers } from './handlers.js';
import { reportDryRun, resolveTargets, validateBatch } from './resolve.js';
import { ReleaseWindow } from './window.js';

/**
 * Releases many machines under one four-eyes approval: resolve the targets (explicit ids or a selector) → read them in
 * batches (two list calls per 25 machines) → approve once → run the window (each still-isolated machine released by a
 * child `releaseMachine`, with bounded concurrency, continuing as new every 500) → report every machine's outcome.
 */
export async function bulkRelease(input: BulkReleaseRequest & { resume?: BulkResume }): Promise<BulkReport> {
  // Only a run continued as new from an earlier one may skip validation and approval: any other run that passes
  // `resume` (a new batch, a cron run, a retry) has it refused by validation (an unknown field) like any other.
  const resume = continuedAsNew() ? input.resume : undefined;
  const batch = new Batch(resume);
  const window = new ReleaseWindow(batch, resume?.inFlight ?? []);
  registerBatchHandlers(batch, window);
  try {
    let reads: Map<string, MachineRead> | undefined;
    if (!resume) {
      await validateBatch(batch, input);
      reads = await resolveTargets(batch);
      if (batch.request.dryRun) {
        reportDryRun(batch, reads);
        return batch.report();
      }
      // The machines may have changed while the batch waited: they are read again, chunk by chunk, before acting.
      if ((await approveBatch(batch)).waited) reads = undefined;
    }
    batch.state = 'releasing';
    const nextIndex = await window.run(resume?.nextIndex ?? 0, reads);
    if (nextIndex < batch.targets.length) {
      await wf.condition(wf.allHandlersFinished);
      await wf.continueAsNew<typeof bulkRelease>({ ...input, resume: batch.resume(nextIndex, [...window.open]) });
    }
    batch.state = 'completed';
    return batch.report();
  } catch (err) {
    if (wf.isCancellation(err)) {
      batch.state = 'cancelled';
      await wf.CancellationScope.nonCancellable(() => window.cancelEarlierRuns());
      for (const id of batch.targets) batch.outcomes[id] ??= 'cancelled';
    }
    throw err;
  }
}
