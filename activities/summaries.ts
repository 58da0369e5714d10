import type { DeviceHealth, MachineActionSummary, MachineSummary } from '../contract/index.js';
import { untrustedText } from './defender/errors.js';
import type { Machine, MachineAction } from './defender/schemas.js';

/**
 * Strings from Defender's answers go into history, the status query and the Temporal UI's markdown: each is bounded,
 * and a device name (which the device itself may choose) keeps only what a host name is made of.
 */
const text = (value: string | null | undefined, max: number): string | null =>
  value === null || value === undefined ? null : (untrustedText(value, max) ?? null);

export function hostName(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return value.replace(/[^\p{L}\p{N}._-]/gu, '?').slice(0, 255);
}

export function summarizeAction(action: MachineAction): MachineActionSummary {
  return {
    id: action.id,
    type: action.type,
    status: action.status,
    machineId: action.machineId ?? null,
    requestor: text(action.requestor, 256),
    requestorComment: text(action.requestorComment, 2_000),
    createdAt: action.creationDateTimeUtc,
    lastUpdateAt: action.lastUpdateDateTimeUtc ?? null,
    computerDnsName: hostName(action.computerDnsName),
  };
}

// Defender's timestamps: an ISO date and time, up to 7 fractional digits, Z or an offset. Anything else is not shown.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A timestamp from Defender as written (its full precision), or null when it is none. */
export function defenderTime(value: string | null | undefined): string | null {
  return value && ISO_TIME.test(value) ? value : null;
}

export function summarizeMachine(machine: Machine): MachineSummary {
  return {
    id: machine.id.toLowerCase(),
    computerDnsName: hostName(machine.computerDnsName),
    healthStatus: text(machine.healthStatus, 50),
    osPlatform: text(machine.osPlatform, 50),
    lastSeen: defenderTime(machine.lastSeen),
  };
}

/** The device's health as an approver sees it; `healthStatus` is an open enum, kept as Defender spells it. */
export function deviceHealth(machine: Pick<MachineSummary, 'healthStatus' | 'lastSeen'>): DeviceHealth {
  return { healthStatus: machine.healthStatus, lastSeen: machine.lastSeen ?? null };
}
