/** Defender's machine actions as releases see them: plain, JSON-safe shapes that activities return to workflows. */

export interface MachineActionSummary {
  id: string;
  type: string;
  status: string;
  machineId: string | null;
  requestor: string | null;
  requestorComment: string | null;
  createdAt: string;
  lastUpdateAt: string | null;
  /** The device's name as the action records it. */
  computerDnsName: string | null;
}

export interface MachineSummary {
  id: string;
  computerDnsName: string | null;
  healthStatus: string | null;
  osPlatform: string | null;
  /** Defender's last full device report (an ISO time); absent from summaries recorded before it was read. */
  lastSeen?: string | null;
}

/**
 * The device as Defender last saw it, shown to an approver: `healthStatus` is an open enum (Active, Inactive,
 * ImpairedCommunication, NoSensorData, …, or a value Defender adds later), bounded; null when Defender did not say.
 */
export interface DeviceHealth {
  healthStatus: string | null;
  lastSeen: string | null;
}

/** What a machine's Isolate/Unisolate history says about it right now. */
export interface IsolationState {
  /** The newest Isolate or Unisolate that Succeeded: the device's isolation state as far as Defender knows. */
  newestSucceeded: MachineActionSummary | null;
  /** A Pending/InProgress Unisolate: a release already under way. */
  inFlightUnisolate: MachineActionSummary | null;
  /** A Pending/InProgress Isolate: it would race a release (MS docs #5903). */
  inFlightIsolate: MachineActionSummary | null;
  /** The newest Unisolate carrying the release's correlation tag, when one was asked for. */
  ours: MachineActionSummary | null;
  /**
   * The device's health and last seen, read in the same activity when the release will await a decision (absent
   * otherwise, and null when Defender did not answer: evidence for a person, never a reason to fail).
   */
  device?: DeviceHealth | null;
}

/** A machine the release checked: the machine, and its isolation state. */
export interface MachineCheck extends Omit<IsolationState, 'ours'> {
  computerDnsName: string | null;
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

export const FINAL_ACTION_STATUSES = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'] as const;

export function isFinalStatus(status: string): boolean {
  return (FINAL_ACTION_STATUSES as readonly string[]).includes(status);
}

/** A cancelled machine action, and whether this call cancelled it (false: it had already ended, as it says). */
export interface CancelOutcome {
  action: MachineActionSummary;
  cancelledNow: boolean;
}
