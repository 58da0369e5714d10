/**
 * Plain, JSON-safe shapes that activities return to workflows. Workflows import these as types only.
 */

export interface MachineActionSummary {
  id: string;
  type: string;
  status: string;
  machineId: string | null;
  requestor: string | null;
  requestorComment: string | null;
  createdAt: string;
  lastUpdateAt: string | null;
  /** The device's name as the action records it (absent from summaries made before it was recorded). */
  computerDnsName?: string | null;
}

export interface MachineSummary {
  id: string;
  computerDnsName: string | null;
  healthStatus: string | null;
  osPlatform: string | null;
}

/** What a machine's Isolate/Unisolate history says about it right now. */
export interface IsolationView {
  machine: MachineSummary;
  /** The newest Isolate or Unisolate that Succeeded: the device's isolation state as far as Defender knows. */
  newestSucceeded: MachineActionSummary | null;
  /** A Pending/InProgress Unisolate: a release already under way. */
  inFlightUnisolate: MachineActionSummary | null;
  /** A Pending/InProgress Isolate: would race a release (MS docs #5903). */
  inFlightIsolate: MachineActionSummary | null;
}

export interface ReleaseSubmission {
  action: MachineActionSummary;
  /** How the action came to be ours: posted now, or found in flight and adopted (no second POST). */
  how: 'posted' | 'adopted-in-flight' | 'adopted-after-unknown-outcome';
}

/** The isolation-related actions of one machine, reduced to what a release decides on. */
export interface IsolationState {
  newestSucceeded: MachineActionSummary | null;
  inFlightUnisolate: MachineActionSummary | null;
  inFlightIsolate: MachineActionSummary | null;
  /** A Unisolate carrying the release's correlation tag, when one was asked for. */
  ours: MachineActionSummary | null;
}

/** A machine action a release waits on, registered with the tenant's watcher. */
export interface WatchedAction {
  actionId: string;
  machineId: string;
  createdAt: string;
}

/** A watched action that reached a final status, and an Isolate of the same machine that succeeded after it. */
export interface ActionOutcome {
  action: MachineActionSummary;
  laterIsolate: MachineActionSummary | null;
}
