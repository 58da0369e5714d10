import type { IsolationState } from '../contract/index.js';
import { compareTimes } from './defender-time.js';
import { isTerminalStatus, type MachineAction } from './defender/schemas.js';
import { summarizeAction } from './summaries.js';

const newestFirst = (a: MachineAction, b: MachineAction) => compareTimes(b.creationDateTimeUtc, a.creationDateTimeUtc);

/** When an action last changed (for a final one: when it ended). */
export const finishedAt = (a: MachineAction) => a.lastUpdateDateTimeUtc ?? a.creationDateTimeUtc;

/** Latest ended first. */
export const latestEndedFirst = (a: MachineAction, b: MachineAction) => compareTimes(finishedAt(b), finishedAt(a));

/**
 * Reduces a machine's Isolate/Unisolate actions to what a release decides on: the newest that succeeded (is the device
 * isolated?), one in flight of each type, and — given the release's correlation tag — the Unisolate it created.
 */
export function isolationState(actions: MachineAction[], correlationTag?: string): IsolationState {
  const inFlight = (type: string) =>
    actions.filter((a) => a.type === type && !isTerminalStatus(a.status)).sort(newestFirst)[0];
  const newestSucceeded = actions.filter((a) => a.status === 'Succeeded').sort(latestEndedFirst)[0];
  const ours = correlationTag
    ? actions
        .filter((a) => a.type === 'Unisolate' && (a.requestorComment ?? '').includes(correlationTag))
        .sort(newestFirst)[0]
    : undefined;
  const summary = (a: MachineAction | undefined) => (a ? summarizeAction(a) : null);
  return {
    newestSucceeded: summary(newestSucceeded),
    inFlightUnisolate: summary(inFlight('Unisolate')),
    inFlightIsolate: summary(inFlight('Isolate')),
    ours: summary(ours),
  };
}
