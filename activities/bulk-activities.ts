import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { mapConcurrently } from './concurrently.js';
import { MAX_PAGE_SIZE, type DefenderClient } from './defender/client.js';
import { odata } from './defender/odata.js';
import { mapDefenderFailures } from './failures.js';
import { parseBulkRequest } from './bulk-request.js';
import { isolationState } from './defender-activities.js';
import { asInvalidInput, checkTenant, type TenantDirectory } from './validation-activities.js';
import type { IsolationState, MachineSummary } from './types.js';
import type { MachineOutcome, ValidatedBulkRequest } from '../workflows/bulk-definitions.js';

/** Bulk activities that call Defender: one call each, on the rate-limited API task queue. */
export function createBulkApiActivities(deps: { defender: DefenderClient }) {
  const { defender } = deps;
  return {
    /** Which of up to 25 machines exist, with their names: one list call. */
    async lookupMachines(input: { machineIds: string[] }): Promise<MachineSummary[]> {
      return mapDefenderFailures(async () => {
        const machines = await defender.listMachines({
          filter: odata.anyOf('id', input.machineIds),
          top: MAX_PAGE_SIZE,
        });
        return machines.map((m) => ({
          id: m.id.toLowerCase(),
          computerDnsName: m.computerDnsName ?? null,
          healthStatus: m.healthStatus ?? null,
          osPlatform: m.osPlatform ?? null,
        }));
      });
    },

    /** The isolation state of up to 25 machines: one list call. */
    async isolationStates(input: { machineIds: string[] }): Promise<Record<string, IsolationState>> {
      return mapDefenderFailures(async () => {
        const actions = await defender.listMachineActions({
          filter: odata.and(odata.anyOf('type', ['Isolate', 'Unisolate']), odata.anyOf('machineId', input.machineIds)),
          top: MAX_PAGE_SIZE,
        });
        return Object.fromEntries(
          input.machineIds.map((id) => [id, isolationState(actions.filter((a) => a.machineId?.toLowerCase() === id))]),
        );
      });
    },

    /** One page of machines matching a tag and/or device group. */
    async listMachinesPage(input: {
      machineTag: string | null;
      deviceGroup: string | null;
      skip: number;
      pageSize: number;
    }): Promise<{ machineIds: string[]; pageFull: boolean }> {
      return mapDefenderFailures(async () => {
        const filters = [];
        if (input.machineTag) filters.push(odata.contains('machineTags', input.machineTag));
        const groupId = input.deviceGroup && /^\d+$/.test(input.deviceGroup) ? Number(input.deviceGroup) : null;
        if (groupId !== null) filters.push(odata.eqNumber('rbacGroupId', groupId));
        const page = await defender.listMachines({
          filter: filters.length > 0 ? odata.and(...filters) : undefined,
          top: input.pageSize,
          skip: input.skip,
        });
        // rbacGroupName is not filterable: a group given by name is matched here.
        const byName = input.deviceGroup && groupId === null ? input.deviceGroup.toLowerCase() : null;
        return {
          machineIds: page
            .filter((m) => byName === null || (m.rbacGroupName ?? '').toLowerCase() === byName)
            .map((m) => m.id.toLowerCase()),
          pageFull: page.length >= input.pageSize,
        };
      });
    },

    /** One page of machines with a succeeded Isolate created before `before`: candidates for "isolated longer than". */
    async listIsolatedCandidatesPage(input: {
      before: string;
      skip: number;
      pageSize: number;
    }): Promise<{ machineIds: string[]; pageFull: boolean }> {
      return mapDefenderFailures(async () => {
        const page = await defender.listMachineActions({
          filter: odata.and(
            odata.eq('type', 'Isolate'),
            odata.eq('status', 'Succeeded'),
            odata.before('creationDateTimeUtc', input.before),
          ),
          top: input.pageSize,
          skip: input.skip,
        });
        return {
          machineIds: [...new Set(page.map((a) => (a.machineId ?? '').toLowerCase()).filter(Boolean))],
          pageFull: page.length >= input.pageSize,
        };
      });
    },
  };
}

/** Local activities of bulk releases: no Defender call. */
export const createBulkLocalActivities = (directory?: TenantDirectory) => ({
  async validateBulkRequest(input: { request: unknown }): Promise<ValidatedBulkRequest> {
    return asInvalidInput(() => {
      const valid = parseBulkRequest(input.request);
      checkTenant(valid.tenant, directory);
      return valid;
    });
  },

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
        const release = await client.workflow.getHandle(`release-${machineId}`).describe();
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
});

export type BulkApiActivities = ReturnType<typeof createBulkApiActivities>;
export type BulkLocalActivities = ReturnType<typeof createBulkLocalActivities>;
