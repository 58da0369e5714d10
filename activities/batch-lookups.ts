import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { releaseWorkflowId, type MachineOutcome } from '../contract/index.js';
import { mapConcurrently } from './concurrently.js';
import { releaseOutcome } from './release-outcome.js';

const MAX_WAIT_FOR_RUNNING_MS = 10_000;

/** Local activities of bulk releases: they talk to Temporal, never to Defender. */
export const batchLookups = {
  /**
   * How a batch's releases ended, as Temporal recorded them: the batch's check of a release's `releaseOutcome` nudge
   * (anyone could have sent it) and its sweep for releases that ended without one (terminated, timed out: neither
   * runs code to report). A release that is no longer the batch's (a newer release took the workflow id) or is gone
   * ended unreported; one still running is not listed.
   */
  async lookUpReleases(input: {
    batchWorkflowId: string;
    machineIds: string[];
    /** How long to wait for a release still running to close: one that said it ended is closing. */
    waitForRunningMs?: number;
  }): Promise<{ machineId: string; outcome: MachineOutcome }[]> {
    const client = Context.current().client;
    const wait = Math.min(Math.max(input.waitForRunningMs ?? 0, 0), MAX_WAIT_FOR_RUNNING_MS);
    const outcomes = await mapConcurrently(input.machineIds, (machineId) =>
      releaseOutcome(client, releaseWorkflowId(machineId), input.batchWorkflowId, wait),
    );
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
