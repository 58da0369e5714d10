import { ApplicationFailure } from '@temporalio/common';
import type { ActionOutcome, WatchedAction } from '../contract/index.js';
import { callDefender, type DefenderCallOptions } from './defender-call.js';
import { MAX_PAGE_SIZE, type DefenderClient } from './defender/client.js';
import { odata } from './defender/odata.js';
import { isTerminalStatus, type MachineAction } from './defender/schemas.js';
import { compareTimes } from './defender-time.js';
import { finishedAt, latestEndedFirst } from './isolation-state.js';
import { summarizeAction } from './summaries.js';

// Clocks of Defender and the worker differ; look this far before the oldest watched action for its siblings.
const CLOCK_SKEW_MS = 5 * 60_000;

export interface WatchedPage {
  finals: ActionOutcome[];
  /** The watched actions this page showed, final or not: the watcher drops those no page ever shows. */
  seen: string[];
  /** How often the watcher may look at most: the tenant's budget as this worker has it configured. */
  floorMs?: number;
  pageFull: boolean;
}

/** The tenant watcher's Defender call: one list call per page serves every release waiting in the tenant. */
export function createWatchCalls(deps: DefenderCallOptions & { defender: DefenderClient; watchFloorMs?: number }) {
  const { defender } = deps;
  return {
    /**
     * One page of the tenant's isolation actions since `since`: which watched actions are final, and for each, an
     * Isolate of the same machine that succeeded after it.
     */
    async checkWatchedActions(input: {
      since: string;
      watched: WatchedAction[];
      skip: number;
      pageSize?: number;
    }): Promise<WatchedPage> {
      return callDefender(
        'watch',
        async (signal) => {
          const pageSize = input.pageSize ?? MAX_PAGE_SIZE;
          const sinceMs = Date.parse(input.since);
          // The watcher only sends times it checked; one it could not read must not turn into an endless retry.
          if (!Number.isFinite(sinceMs))
            throw ApplicationFailure.nonRetryable('since must be an ISO 8601 time', 'InvalidInput');
          const since = new Date(sinceMs - CLOCK_SKEW_MS).toISOString();
          const page = await defender.listMachineActions({
            filter: odata.and(odata.anyOf('type', ['Isolate', 'Unisolate']), odata.since('creationDateTimeUtc', since)),
            top: pageSize,
            skip: input.skip,
            signal,
          });
          const wanted = new Set(input.watched.map((w) => w.actionId.toLowerCase()));
          const ours = page.filter((action) => wanted.has(action.id.toLowerCase()));
          const finals = ours
            .filter((action) => isTerminalStatus(action.status))
            .flatMap((action) => outcomeOf(action, page) ?? []);
          const seen = ours.map((a) => a.id.toLowerCase());
          return { finals, seen, pageFull: page.length >= pageSize, floorMs: deps.watchFloorMs };
        },
        deps,
      );
    },
  };
}

/**
 * The outcome of a watched action that ended, or null while it cannot be told yet: an Isolate of the same machine that
 * was created before the action ended and is still in flight can complete after it and isolate the device again (MS
 * docs #5903), so a release that succeeded waits for that Isolate's end.
 */
function outcomeOf(action: MachineAction, page: MachineAction[]): ActionOutcome | null {
  const ended = finishedAt(action);
  const isolates = page.filter((a) => a.type === 'Isolate' && a.machineId === action.machineId);
  const racing = isolates.some((a) => !isTerminalStatus(a.status) && compareTimes(a.creationDateTimeUtc, ended) <= 0);
  if (action.status === 'Succeeded' && racing) return null;
  const later = isolates
    .filter((a) => a.status === 'Succeeded' && compareTimes(finishedAt(a), ended) > 0)
    .sort(latestEndedFirst)[0];
  return { action: summarizeAction(action), laterIsolate: later ? summarizeAction(later) : null };
}

export type WatchCalls = ReturnType<typeof createWatchCalls>;
