import { z } from 'zod';

/**
 * Only the fields this project reads are described, so that Defender adding or dropping other fields never breaks a
 * release. `type` and `status` are open enums: an unknown value is carried through rather than rejected.
 */

export const TERMINAL_ACTION_STATUSES = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'] as const;
export type TerminalActionStatus = (typeof TERMINAL_ACTION_STATUSES)[number];
export type MachineActionStatus = 'Pending' | 'InProgress' | TerminalActionStatus | (string & {});
export type MachineActionType =
  | 'Isolate'
  | 'Unisolate'
  | 'RunAntiVirusScan'
  | 'Offboard'
  | 'LiveResponse'
  | 'CollectInvestigationPackage'
  | 'StopAndQuarantineFile'
  | 'RestrictCodeExecution'
  | 'UnrestrictCodeExecution'
  | (string & {});

export function isTerminalStatus(status: string): status is TerminalActionStatus {
  return (TERMINAL_ACTION_STATUSES as readonly string[]).includes(status);
}

/**
 * A field the code reads but can live without: absent, null, or of another type than documented (answers drift:
 * `rbacGroupId` arrives as a number or a string) reads as null rather than failing the whole answer.
 */
const optionalString = z.string().nullish().catch(null);

export const machineActionSchema = z
  .looseObject({
    id: z.string().min(1),
    type: z.string().min(1),
    status: z.string().min(1),
    machineId: optionalString,
    computerDnsName: optionalString,
    requestor: optionalString,
    requestorComment: optionalString,
    creationDateTimeUtc: z.string().min(1),
    // The entity is documented with `lastUpdateDateTimeUtc`; the docs' own examples (and 2017 payloads) say
    // `lastUpdateTimeUtc`. Accept both and expose one.
    lastUpdateDateTimeUtc: optionalString,
    lastUpdateTimeUtc: optionalString,
  })
  .transform((action) => ({
    id: action.id,
    type: action.type as MachineActionType,
    status: action.status as MachineActionStatus,
    machineId: action.machineId ?? null,
    computerDnsName: action.computerDnsName ?? null,
    requestor: action.requestor ?? null,
    requestorComment: action.requestorComment ?? null,
    creationDateTimeUtc: action.creationDateTimeUtc,
    lastUpdateDateTimeUtc: action.lastUpdateDateTimeUtc ?? action.lastUpdateTimeUtc ?? null,
  }));
export type MachineAction = z.output<typeof machineActionSchema>;

export const machineActionListSchema = z.looseObject({ value: z.array(machineActionSchema) });

/** Only what the releases read; every other field of Defender's machine entity may be anything. */
export const machineSchema = z
  .looseObject({
    id: z.string().min(1),
    computerDnsName: optionalString,
    healthStatus: optionalString,
    lastSeen: optionalString,
    osPlatform: optionalString,
    rbacGroupName: optionalString,
  })
  .transform((machine) => ({
    id: machine.id,
    computerDnsName: machine.computerDnsName ?? null,
    healthStatus: machine.healthStatus ?? null,
    lastSeen: machine.lastSeen ?? null,
    osPlatform: machine.osPlatform ?? null,
    rbacGroupName: machine.rbacGroupName ?? null,
  }));
export type Machine = z.output<typeof machineSchema>;

export const machineListSchema = z.looseObject({ value: z.array(machineSchema) });

/** `{"error":{"code","message","target"}}`; `target` is Defender's per-request correlation id. */
export const defenderErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string().nullish(),
    target: z.string().nullish(),
  }),
});

export const tokenResponseSchema = z.object({
  token_type: z.string().optional(),
  access_token: z.string().min(1),
  expires_in: z.coerce.number().int().positive(),
});

/** What Entra ID answers on a failed token request. */
export const tokenErrorBodySchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});
