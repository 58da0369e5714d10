import { randomBytes, randomUUID } from 'node:crypto';

export type ActionType = 'Isolate' | 'Unisolate' | (string & {});
export type FinalStatus = 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';

/** How a machine's actions play out; durations are simulated milliseconds (divided by the time scale). */
export interface MachineBehavior {
  /** How long a new action stays Pending. Default 2 s. */
  pendingMs?: number;
  /** How long it then stays InProgress. Default 3 s. */
  inProgressMs?: number;
  /** How its Unisolate actions end. Default Succeeded. */
  unisolateOutcome?: Exclude<FinalStatus, 'Cancelled'>;
  /** How its Isolate actions end. Default Succeeded. */
  isolateOutcome?: Exclude<FinalStatus, 'Cancelled'>;
  /** Actions never leave Pending (an offline device). */
  stuckPending?: boolean;
  /**
   * MS docs issue #5903: an Isolate that was pending completes *after* a later Unisolate, leaving the device isolated.
   * Isolate actions of this machine wait until a Unisolate succeeds after they were issued, then succeed themselves.
   */
  isolateCompletesAfterRelease?: boolean;
  /** On a duplicate request: answer 400 ActiveRequestAlreadyExists (default), or return the pending action. */
  duplicateBehavior?: 'error' | 'return-existing';
}

export interface SimMachine {
  id: string;
  computerDnsName: string;
  osPlatform: string;
  healthStatus: string;
  onboardingStatus: string;
  /** A number in most answers, a string (the documented type) in some: answered as given. */
  rbacGroupId: number | string | null;
  rbacGroupName: string | null;
  machineTags: string[];
  lastSeen: string;
  behavior: MachineBehavior;
}

export interface SimAction {
  id: string;
  type: ActionType;
  machineId: string;
  computerDnsName: string;
  requestor: string;
  requestorComment: string;
  scope: string | null;
  createdAt: number;
  pendingUntil: number;
  doneAt: number;
  finalStatus: Exclude<FinalStatus, 'Cancelled'>;
  /** Waits for a later Unisolate to succeed (see MachineBehavior.isolateCompletesAfterRelease). */
  deferredUntilRelease: boolean;
  cancelledAt?: number;
  cancellationRequestor?: string;
  cancellationComment?: string;
}

export interface TenantData {
  tenantId: string;
  orgId: string;
  machines: Map<string, SimMachine>;
  actions: SimAction[];
}

export function newMachineId(): string {
  return randomBytes(20).toString('hex');
}

export const DEFAULT_BEHAVIOR: Required<Omit<MachineBehavior, 'duplicateBehavior'>> & {
  duplicateBehavior: 'error' | 'return-existing';
} = {
  pendingMs: 2_000,
  inProgressMs: 3_000,
  unisolateOutcome: 'Succeeded',
  isolateOutcome: 'Succeeded',
  stuckPending: false,
  isolateCompletesAfterRelease: false,
  duplicateBehavior: 'error',
};

export function createTenant(tenantId: string): TenantData {
  return { tenantId, orgId: randomUUID(), machines: new Map(), actions: [] };
}

/** Status of an action at `now`. Actions are computed from their plan, so nothing needs a timer. */
export function statusAt(tenant: TenantData, action: SimAction, now: number): { status: string; lastUpdate: number } {
  if (action.cancelledAt !== undefined && action.cancelledAt <= now) {
    return { status: 'Cancelled', lastUpdate: action.cancelledAt };
  }
  let { pendingUntil, doneAt } = action;
  if (action.deferredUntilRelease) {
    const release = tenant.actions
      .filter((a) => a.type === 'Unisolate' && a.machineId === action.machineId && a.id !== action.id)
      .filter((a) => a.finalStatus === 'Succeeded' && a.cancelledAt === undefined && Number.isFinite(a.doneAt))
      // The first release that succeeds after this isolation was issued.
      .filter((a) => a.doneAt >= action.createdAt)
      .sort((a, b) => a.doneAt - b.doneAt)[0];
    if (!release) return { status: 'Pending', lastUpdate: action.createdAt };
    pendingUntil = release.doneAt + 1;
    doneAt = release.doneAt + 2;
  }
  if (now < pendingUntil) return { status: 'Pending', lastUpdate: action.createdAt };
  if (now < doneAt) return { status: 'InProgress', lastUpdate: pendingUntil };
  return { status: action.finalStatus, lastUpdate: doneAt };
}

export function isInFlight(status: string): boolean {
  return status === 'Pending' || status === 'InProgress';
}

export function planAction(args: {
  tenant: TenantData;
  machine: SimMachine;
  type: ActionType;
  requestor: string;
  comment: string;
  scope: string | null;
  now: number;
  timeScale: number;
}): SimAction {
  const behavior = { ...DEFAULT_BEHAVIOR, ...args.machine.behavior };
  const pendingUntil = behavior.stuckPending
    ? Number.POSITIVE_INFINITY
    : args.now + behavior.pendingMs / args.timeScale;
  const doneAt = pendingUntil + behavior.inProgressMs / args.timeScale;
  const action: SimAction = {
    id: randomUUID(),
    type: args.type,
    machineId: args.machine.id,
    computerDnsName: args.machine.computerDnsName,
    requestor: args.requestor,
    requestorComment: args.comment,
    scope: args.scope,
    createdAt: args.now,
    pendingUntil,
    doneAt,
    finalStatus: args.type === 'Isolate' ? behavior.isolateOutcome : behavior.unisolateOutcome,
    deferredUntilRelease: args.type === 'Isolate' && behavior.isolateCompletesAfterRelease && !behavior.stuckPending,
  };
  args.tenant.actions.push(action);
  return action;
}

/** Now, to the microsecond: Defender's timestamps carry 7 fractional digits, and actions can be that close. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A time as Defender writes it: UTC with 7 fractional digits (`2018-12-04T12:43:57.2011911Z`). */
export function defenderTime(ms: number): string {
  const whole = Math.floor(ms);
  const fraction = Math.floor((ms - whole) * 10_000);
  const iso = new Date(whole).toISOString(); // …:SS.mmmZ
  return `${iso.slice(0, 23)}${String(fraction).padStart(4, '0')}Z`;
}

/** The entity as Defender serialises it. */
export function actionEntity(tenant: TenantData, action: SimAction, now: number, baseUrl: string) {
  const { status, lastUpdate } = statusAt(tenant, action, now);
  return {
    '@odata.context': `${baseUrl}/api/$metadata#MachineActions/$entity`,
    id: action.id,
    type: action.type,
    title: null,
    requestor: action.requestor,
    requestorComment: action.requestorComment,
    status,
    machineId: action.machineId,
    computerDnsName: action.computerDnsName,
    creationDateTimeUtc: defenderTime(action.createdAt),
    lastUpdateDateTimeUtc: defenderTime(lastUpdate),
    cancellationRequestor: action.cancellationRequestor ?? null,
    cancellationComment: action.cancellationComment ?? null,
    cancellationDateTimeUtc: action.cancelledAt !== undefined ? defenderTime(action.cancelledAt) : null,
    errorHResult: status === 'Failed' ? -2147467259 : 0,
    scope: action.scope,
    externalId: null,
    requestSource: 'PublicApi',
    relatedFileInfo: null,
    commands: [],
    troubleshootInfo: null,
  };
}

export function machineEntity(machine: SimMachine) {
  return {
    id: machine.id,
    computerDnsName: machine.computerDnsName,
    firstSeen: '2024-01-01T00:00:00Z',
    lastSeen: machine.lastSeen,
    osPlatform: machine.osPlatform,
    version: null,
    osProcessor: 'x64',
    lastIpAddress: '10.0.0.4',
    lastExternalIpAddress: '203.0.113.4',
    healthStatus: machine.healthStatus,
    onboardingStatus: machine.onboardingStatus,
    rbacGroupId: machine.rbacGroupId,
    rbacGroupName: machine.rbacGroupName,
    riskScore: 'Medium',
    exposureLevel: 'Medium',
    isAadJoined: true,
    aadDeviceId: null,
    machineTags: machine.machineTags,
  };
}
