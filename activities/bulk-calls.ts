import type { IsolationState, MachineSummary } from '../contract/index.js';
import { callDefender, type DefenderCallOptions } from './defender-call.js';
import { MAX_PAGE_SIZE, type DefenderClient } from './defender/client.js';
import { odata } from './defender/odata.js';
import { isolationState } from './isolation-state.js';
import { summarizeMachine } from './summaries.js';

/** The Defender calls of a batch: one call each, on the tenant's rate-limited API task queue. */
export function createBulkCalls(deps: DefenderCallOptions & { defender: DefenderClient }) {
  const { defender } = deps;
  return {
    /** Which of up to 25 machines exist, with their names: one list call. */
    async lookupMachines(input: { machineIds: string[] }): Promise<MachineSummary[]> {
      return callDefender(
        'machine lookup',
        async (signal) => {
          const machines = await defender.listMachines({
            filter: odata.anyOf('id', input.machineIds),
            top: MAX_PAGE_SIZE,
            signal,
          });
          return machines.map(summarizeMachine);
        },
        deps,
      );
    },

    /** The isolation state of up to 25 machines: one list call. */
    async isolationStates(input: { machineIds: string[] }): Promise<Record<string, IsolationState>> {
      return callDefender(
        'isolation states',
        async (signal) => {
          const actions = await defender.listMachineActions({
            filter: odata.and(
              odata.anyOf('type', ['Isolate', 'Unisolate']),
              odata.anyOf('machineId', input.machineIds),
            ),
            top: MAX_PAGE_SIZE,
            signal,
          });
          return Object.fromEntries(
            input.machineIds.map((id) => [
              id,
              isolationState(actions.filter((a) => a.machineId?.toLowerCase() === id)),
            ]),
          );
        },
        deps,
      );
    },

    /** One page of machines matching a tag and/or device group. */
    async listMachinesPage(input: {
      machineTag: string | null;
      deviceGroup: string | null;
      skip: number;
      pageSize: number;
    }): Promise<{ machineIds: string[]; pageFull: boolean }> {
      return callDefender(
        'machine listing',
        async (signal) => {
          const filters = [];
          if (input.machineTag) filters.push(odata.contains('machineTags', input.machineTag));
          const groupId = input.deviceGroup && /^\d+$/.test(input.deviceGroup) ? Number(input.deviceGroup) : null;
          if (groupId !== null) filters.push(odata.eqNumber('rbacGroupId', groupId));
          const page = await defender.listMachines({
            filter: filters.length > 0 ? odata.and(...filters) : undefined,
            top: input.pageSize,
            skip: input.skip,
            signal,
          });
          // rbacGroupName is not filterable: a group given by name is matched here.
          const byName = input.deviceGroup && groupId === null ? input.deviceGroup.toLowerCase() : null;
          return {
            machineIds: page
              .filter((m) => byName === null || (m.rbacGroupName ?? '').toLowerCase() === byName)
              .map((m) => m.id.toLowerCase()),
            pageFull: page.length >= input.pageSize,
          };
        },
        deps,
      );
    },

    /** One page of machines with a succeeded Isolate created before `before`: candidates for "isolated longer than". */
    async listIsolatedCandidatesPage(input: {
      before: string;
      skip: number;
      pageSize: number;
    }): Promise<{ machineIds: string[]; pageFull: boolean }> {
      return callDefender(
        'isolation candidates',
        async (signal) => {
          const page = await defender.listMachineActions({
            filter: odata.and(
              odata.eq('type', 'Isolate'),
              odata.eq('status', 'Succeeded'),
              odata.before('creationDateTimeUtc', input.before),
            ),
            top: input.pageSize,
            skip: input.skip,
            signal,
          });
          return {
            machineIds: [...new Set(page.map((a) => (a.machineId ?? '').toLowerCase()).filter(Boolean))],
            pageFull: page.length >= input.pageSize,
          };
        },
        deps,
      );
    },
  };
}

export type BulkCalls = ReturnType<typeof createBulkCalls>;
