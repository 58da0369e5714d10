import type { MachineActionSummary, MachineSummary } from '../contract/index.js';
import type { Machine, MachineAction } from './defender/schemas.js';

export function summarizeAction(action: MachineAction): MachineActionSummary {
  return {
    id: action.id,
    type: action.type,
    status: action.status,
    machineId: action.machineId ?? null,
    requestor: action.requestor ?? null,
    requestorComment: action.requestorComment ?? null,
    createdAt: action.creationDateTimeUtc,
    lastUpdateAt: action.lastUpdateDateTimeUtc ?? null,
    computerDnsName: action.computerDnsName ?? null,
  };
}

export function summarizeMachine(machine: Machine): MachineSummary {
  return {
    id: machine.id.toLowerCase(),
    computerDnsName: machine.computerDnsName ?? null,
    healthStatus: machine.healthStatus ?? null,
    osPlatform: machine.osPlatform ?? null,
  };
}
