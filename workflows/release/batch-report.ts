import * as wf from '@temporalio/workflow';
import { releaseOutcomeSignal, type ReleaseOutcomeReport, type ReleaseRequest } from '../../contract/index.js';
import { outcomeOfFailure } from '../machine-outcome.js';

/**
 * Runs the release and, when a batch started it, tells the batch how it ended: a batch that continued as new no longer
 * hears from the children of its earlier runs. Only the batch that started this release is told; any other `reportTo`
 * is ignored.
 */
export async function reportingToBatch<T extends { outcome: ReleaseOutcomeReport['outcome'] }>(
  input: ReleaseRequest,
  run: () => Promise<T>,
): Promise<T> {
  const batch = wf.workflowInfo().parent?.workflowId;
  if (batch === undefined || input?.reportTo !== batch) return run();
  const machineId = input.machineId;
  try {
    const result = await run();
    await report(batch, { machineId, outcome: result.outcome });
    return result;
  } catch (err) {
    const outcome = outcomeOfFailure(err);
    if (outcome) await wf.CancellationScope.nonCancellable(() => report(batch, { machineId, outcome }));
    throw err;
  }
}

async function report(batch: string, report: ReleaseOutcomeReport): Promise<void> {
  try {
    // No run id: the batch may have continued as new since it started this release.
    await wf.getExternalWorkflowHandle(batch).signal(releaseOutcomeSignal, report);
  } catch (err) {
    // The batch ended meanwhile (cancelled, terminated): nobody to tell.
    wf.log.info('Batch gone', { batch, error: String(err) });
  }
}
