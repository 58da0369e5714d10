import * as wf from '@temporalio/workflow';
import { releaseOutcomeSignal, type ReleaseRequest } from '../../contract/index.js';

/**
 * Runs the release and, when a batch started it, tells the batch that it ended: a batch that continued as new no
 * longer hears from the children of its earlier runs, so it looks them up when told. Only the batch that started this
 * release is told (validation refused any other `reportTo`); the batch reads how the release ended from Temporal.
 */
export async function reportingToBatch<T>(input: ReleaseRequest, run: () => Promise<T>): Promise<T> {
  const batch = wf.workflowInfo().parent?.workflowId;
  if (batch === undefined || input?.reportTo !== batch) return run();
  try {
    return await run();
  } finally {
    await wf.CancellationScope.nonCancellable(() => report(batch, input.machineId));
  }
}

async function report(batch: string, machineId: string): Promise<void> {
  try {
    // No run id: the batch may have continued as new since it started this release.
    await wf.getExternalWorkflowHandle(batch).signal(releaseOutcomeSignal, { machineId });
  } catch (err) {
    // The batch ended meanwhile (cancelled, terminated): nobody to tell.
    wf.log.info('Batch gone', { batch, error: String(err) });
  }
}
