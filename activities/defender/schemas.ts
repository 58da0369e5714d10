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

const nullishString = z.string().nullish();

export const machineActionSchema = z
  .object({
    id: z.string().min(1),
    type: z.string().min(1),
    status: z.string().min(1),
    machineId: nullishString,
    computerDnsName: nullishString,
    requestor: nullishString,
    requestorComment: nullishString,
    scope: nullishString,
    creationDateTimeUtc: z.string().min(1),
    // The entity is documented with `lastUpdateDateTimeUtc`; the docs' own examples (and 2017 payloads) say
    // `lastUpdateTimeUtc`. Accept both and expose one.
    lastUpdateDateTimeUtc: nullishString,
    lastUpdateTimeUtc: nullishString,
    cancellationRequestor: nullishString,
    cancellationComment: nullishString,
    errorHResult: z.number().nullish(),
  })
  .transform(({ lastUpdateTimeUtc, ...action }) => ({
    ...action,
    type: action.type as MachineActionType,
    status: action.status as MachineActionStatus,
    lastUpdateDateTimeUtc: action.lastUpdateDateTimeUtc ?? lastUpdateTimeUtc ?? null,
  }));
export type MachineAction = z.output<typeof machineActionSchema>;

export const machineActionListSchema = z.object({
  value: z.array(machineActionSchema),
  '@odata.nextLink': z.string().nullish(),
});

export const machineSchema = z.object({
  id: z.string().min(1),
  computerDnsName: nullishString,
  healthStatus: nullishString,
  onboardingStatus: nullishString,
  osPlatform: nullishString,
  lastSeen: nullishString,
  rbacGroupId: z.number().nullish(),
  rbacGroupName: nullishString,
  machineTags: z.array(z.string()).nullish(),
});
export type Machine = z.output<typeof machineSchema>;

export const machineListSchema = z.object({
  value: z.array(machineSchema),
  '@odata.nextLink': z.string().nullish(),
});

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
