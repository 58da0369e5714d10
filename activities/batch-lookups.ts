import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { releaseWorkflowId, type MachineOutcome } from '../contract/index.js';
import { mapConcurrently } from './concurrently.js';

/** Local activities of bulk releases: they talk to Temporal, never to Defender. */
export const batchLookups = {
  /**
   * Which of a batch's releases ended without telling it: terminated or timed out (neither runs any code to report),
   * or gone (no release of that machine is the batch's any more, e.g. a newer release took the workflow id). A
   * release that completed, failed or was cancelled reported before it closed, so it is not listed.
   */
  async findUnreportedReleases(input: {
    batchWorkflowId: string;
    machineIds: string[];
  }): Promise<{ machineId: string; outcome: MachineOutcome }[]> {
    const client = Context.current().client;
    const outcomes = await mapConcurrently(input.machineIds, async (machineId): Promise<MachineOutcome | undefined> => {
      try {
        const release = await client.workflow.getHandle(releaseWorkflowId(machineId)).describe();
        if (release.parentExecution?.workflowId !== input.batchWorkflowId) return 'failed:ReleaseEndedUnreported';
        if (release.status.name === 'TERMINATED') return 'failed:ReleaseTerminated';
        if (release.status.name === 'TIMED_OUT') return 'failed:ReleaseTimedOut';
        return undefined;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return 'failed:ReleaseEndedUnreported';
      }
    });
    return input.machineIds.flatMap((machineId, i) => (outcomes[i] ? [{ machineId, outcome: outcomes[i] }] : []));
  },

  /** SHA-256 of the sorted target ids: what an approver reviews, recorded with the decision. */
  async digestTargets(input: { machineIds: string[] }): Promise<string> {
    return createHash('sha256')
      .update([...input.machineIds].sort().join('\n'))
      .digest('hex');
  },
};

export type BatchLookups = typeof batchLookups;
