import type { IsolationState, MachineSummary } from '../contract/index.js';
import { callDefender, type DefenderCallOptions } from './defender-call.js';
import { MAX_PAGE_SIZE, type DefenderClient } from './defender/client.js';
import { odata } from './defender/odata.js';
import { isolationState } from './isolation-state.js';
import { summarizeMachine } from './summaries.js';

type Deps = DefenderCallOptions & { defender: DefenderClient };

export interface MachinePage {
  machineIds: string[];
  pageFull: boolean;
}

/** The Defender calls of a batch: one call each, reserved with the tenant's call ledger, on its API task queue. */
export function createBulkCalls(deps: Deps) {
  return {
    lookupMachines: (input: { machineIds: string[] }) => lookupMachines(deps, input),
    isolationStates: (input: { machineIds: string[] }) => isolationStates(deps, input),
    listMachinesPage: (input: MachinesPageInput) => listMachinesPage(deps, input),
    listIsolatedCandidatesPage: (input: CandidatesPageInput) => listIsolatedCandidatesPage(deps, input),
  };
}

/** Which of up to 25 machines exist, with their names: one list call. */
async function lookupMachines(
  { defender, ...options }: Deps,
  input: { machineIds: string[] },
): Promise<MachineSummary[]> {
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
    options,
  );
}

/** The isolation state of up to 25 machines: one list call. */
async function isolationStates(
  { defender, ...options }: Deps,
  input: { machineIds: string[] },
): Promise<Record<string, IsolationState>> {
  return callDefender(
    'isolation states',
    async (signal) => {
      const actions = await defender.listMachineActions({
        filter: odata.and(odata.anyOf('type', ['Isolate', 'Unisolate']), odata.anyOf('machineId', input.machineIds)),
        top: MAX_PAGE_SIZE,
        signal,
      });
      const of = (id: string) => actions.filter((a) => a.machineId?.toLowerCase() === id);
      return Object.fromEntries(input.machineIds.map((id) => [id, isolationState(of(id))]));
    },
    options,
  );
}

export interface MachinesPageInput {
  machineTag: string | null;
  deviceGroup: string | null;
  skip: number;
  pageSize: number;
}

/** One page of machines matching a tag and/or device group (by id in the filter; by name, which Defender cannot filter, here). */
async function listMachinesPage({ defender, ...options }: Deps, input: MachinesPageInput): Promise<MachinePage> {
  return callDefender(
    'machine listing',
    async (signal) => {
      const filters = [];
      if (input.machineTag) filters.push(odata.contains('machineTags', input.machineTag));
      const groupId = input.deviceGroup && /^\d+$/.test(input.deviceGroup) ? Number(input.deviceGroup) : null;
      if (groupId !== null) filters.push(odata.eqNumber('rbacGroupId', groupId));
      const filter = filters.length > 0 ? odata.and(...filters) : undefined;
      const page = await defender.listMachines({ filter, top: input.pageSize, skip: input.skip, signal });
      const byName = input.deviceGroup && groupId === null ? input.deviceGroup.toLowerCase() : null;
      const matching = page.filter((m) => byName === null || (m.rbacGroupName ?? '').toLowerCase() === byName);
      return { machineIds: matching.map((m) => m.id.toLowerCase()), pageFull: page.length >= input.pageSize };
    },
    options,
  );
}

export interface CandidatesPageInput {
  before: string;
  skip: number;
  pageSize: number;
}

/** One page of machines with a succeeded Isolate created before `before`: candidates for "isolated longer than". */
async function listIsolatedCandidatesPage(
  { defender, ...options }: Deps,
  input: CandidatesPageInput,
): Promise<MachinePage> {
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
      const machineIds = [...new Set(page.map((a) => (a.machineId ?? '').toLowerCase()).filter(Boolean))];
      return { machineIds, pageFull: page.length >= input.pageSize };
    },
    options,
  );
}

export type BulkCalls = ReturnType<typeof createBulkCalls>;
