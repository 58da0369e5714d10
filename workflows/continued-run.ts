import * as wf from '@temporalio/workflow';

/**
 * Whether this run was continued as new from an earlier run of this workflow, and so whether what its input carries
 * over was written by that run. The server also marks a cron run and a retry as continued from the run before, and
 * starts them with the first starter's input: a starter could put state there for the next run to trust. Neither a cron
 * schedule nor a retry policy is ours to set (batches are scheduled with Temporal Schedules, which start new runs).
 */
export function continuedAsNew(): boolean {
  const info = wf.workflowInfo();
  return (
    info.continuedFromExecutionRunId !== undefined && info.cronSchedule === undefined && info.retryPolicy === undefined
  );
}
