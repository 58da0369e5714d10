import type { IsolationState, MachineSummary } from '../../contract/index.js';
import { batchCalls } from './activities.js';
import type { Batch } from './batch.js';

/** What the batch read of one machine: the machine (null: unknown to Defender) and its isolation actions. */
export interface MachineRead {
  machine: MachineSummary | null;
  state: IsolationState | null;
}

export const IDS_PER_CALL = 25;
const CHUNKS_IN_PARALLEL = 8;

export const isolated = (read: MachineRead) => read.state?.newestSucceeded?.type === 'Isolate';

/** Known, and isolated or with an isolation action in flight: a release has something to do. */
export const needsRelease = (read: MachineRead) =>
  read.machine !== null &&
  (isolated(read) || read.state?.inFlightIsolate != null || read.state?.inFlightUnisolate != null);

/** Splits ids into the chunks one list call can read. */
export function chunksOf(ids: string[]): string[][] {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_CALL) chunks.push(ids.slice(i, i + IDS_PER_CALL));
  return chunks;
}

/** Two list calls per 25 machines: which exist, and their isolation actions. */
export async function readMachines(batch: Batch, ids: string[]): Promise<Map<string, MachineRead>> {
  const chunks = chunksOf(ids);
  const result = new Map<string, MachineRead>();
  const calls = batchCalls(batch.request.tenant);
  for (let i = 0; i < chunks.length; i += CHUNKS_IN_PARALLEL) {
    await Promise.all(
      chunks.slice(i, i + CHUNKS_IN_PARALLEL).map(async (chunk) => {
        const [machines, states] = await Promise.all([
          calls.lookupMachines({ machineIds: chunk }),
          calls.isolationStates({ machineIds: chunk }),
        ]);
        for (const id of chunk) {
          result.set(id, { machine: machines.find((m) => m.id === id) ?? null, state: states[id] ?? null });
        }
      }),
    );
  }
  return result;
}
