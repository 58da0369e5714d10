/**
 * An in-memory stand-in for the API activities, for the fast workflow tests: machines and their Isolate/Unisolate
 * actions, answered in the contract's shapes, with scripted failures. It is no simulator (that is the end-to-end
 * suites' job): it answers exactly what a test set up, so each workflow branch can be driven on purpose.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ApiActivities } from '../../activities/index.js';
import { isolationState } from '../../activities/isolation-state.js';
import { registerPosted } from '../../activities/release-calls.js';
import type { MachineAction } from '../../activities/defender/schemas.js';
import { DefenderFailureType, type MachineActionSummary, type MachineSummary } from '../../contract/index.js';

type Final = 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';

interface FakeAction {
  id: string;
  type: 'Isolate' | 'Unisolate';
  machineId: string;
  computerDnsName: string | null;
  status: 'Pending' | 'InProgress' | Final;
  comment: string;
  requestor: string;
  createdAt: string;
  updatedAt: string;
  /** Watcher looks until it is final; Infinity: stuck (an offline device). */
  looksLeft: number;
  outcome: Exclude<Final, 'Cancelled'>;
}

export interface FakeMachine {
  id: string;
  computerDnsName: string;
  /** As Defender spells it (an open enum); Defender's last full device report. */
  healthStatus: string;
  lastSeen: string;
  /** How the machine's next Unisolate ends, after how many watcher looks. */
  unisolate: { outcome: Exclude<Final, 'Cancelled'>; looks: number };
}

const RETRYABLE = new Set<string>([
  DefenderFailureType.ServerError,
  DefenderFailureType.Timeout,
  DefenderFailureType.NetworkError,
  DefenderFailureType.InvalidResponse,
  DefenderFailureType.RateLimited,
]);

type Call = keyof ApiActivities;

interface ScriptedFailure {
  type: string;
  /** The call took effect at Defender before it failed (e.g. a POST whose answer was lost). */
  afterEffect: boolean;
}

export class FakeDefender {
  readonly machines = new Map<string, FakeMachine>();
  readonly actions: FakeAction[] = [];
  /** Every call, in order: `<activity> <machine or action id>`. */
  readonly calls: string[] = [];
  readonly #failures = new Map<Call, ScriptedFailure[]>();
  readonly #always = new Map<Call, ScriptedFailure>();
  readonly #gates = new Map<Call, Promise<void>>();
  #clock = Date.parse('2026-12-01T08:00:00.000Z');
  /** Whether a POST registers its action with the watcher, as the real activity does; false: as if that failed. */
  registersPosted = true;
  /** Machines whose next POST is answered 201 with the Unisolate already pending (a duplicate, as Defender can). */
  readonly #answerWithPending = new Set<string>();

  addMachine(
    options: { isolated?: boolean; computerDnsName?: string; neverIsolated?: boolean; healthStatus?: string } = {},
  ): FakeMachine {
    const id = randomBytes(20).toString('hex');
    const machine: FakeMachine = {
      id,
      computerDnsName: options.computerDnsName ?? `host-${id.slice(0, 6)}.contoso.com`,
      healthStatus: options.healthStatus ?? 'Active',
      // Defender's timestamps carry 7 fractional digits.
      lastSeen: '2026-12-01T07:42:13.2011911Z',
      unisolate: { outcome: 'Succeeded', looks: 1 },
    };
    this.machines.set(id, machine);
    if (!options.neverIsolated) this.addAction(id, 'Isolate', { status: 'Succeeded' });
    if (options.isolated === false) this.addAction(id, 'Unisolate', { status: 'Succeeded' });
    return machine;
  }

  /** An action someone else created (in the portal, another tool). */
  addAction(
    machineId: string,
    type: FakeAction['type'],
    options: { status?: FakeAction['status']; comment?: string; looks?: number; outcome?: FakeAction['outcome'] } = {},
  ): FakeAction {
    const at = this.#tick();
    const action: FakeAction = {
      id: randomUUID(),
      type,
      machineId,
      computerDnsName: this.machines.get(machineId)?.computerDnsName ?? null,
      status: options.status ?? 'Pending',
      comment: options.comment ?? `${type} by the SOC`,
      requestor: 'analyst@contoso.com',
      createdAt: at,
      updatedAt: at,
      looksLeft: options.looks ?? 1,
      outcome: options.outcome ?? 'Succeeded',
    };
    this.actions.push(action);
    return action;
  }

  /** The next `times` calls of `call` fail with `type` (optionally after taking effect). */
  fail(call: Call, type: string, options: { times?: number; afterEffect?: boolean } = {}): void {
    const queue = this.#failures.get(call) ?? [];
    for (let i = 0; i < (options.times ?? 1); i++) queue.push({ type, afterEffect: options.afterEffect ?? false });
    this.#failures.set(call, queue);
  }

  /** Every call of `call` fails with `type` from now on (until clearFailures). */
  failAlways(call: Call, type: string, options: { afterEffect?: boolean } = {}): void {
    this.#always.set(call, { type, afterEffect: options.afterEffect ?? false });
  }

  /** No more scripted failures. */
  clearFailures(): void {
    this.#failures.clear();
    this.#always.clear();
  }

  /** Calls of `call` wait (after taking effect) until the returned function is called: a call in flight. */
  hold(call: Call): () => void {
    let open!: () => void;
    this.#gates.set(call, new Promise<void>((resolve) => (open = resolve)));
    return () => {
      this.#gates.delete(call);
      open();
    };
  }

  /**
   * The next POST for the machine is answered 201 with a pending Unisolate someone else created just before, which no
   * list had shown yet (Defender's lists lag): a duplicate answered as a success, as Defender can.
   */
  answerPostWithPending(machineId: string): void {
    this.#answerWithPending.add(machineId);
  }

  posts(machineId: string): number {
    return this.calls.filter((c) => c === `postUnisolate ${machineId}`).length;
  }

  count(call: Call): number {
    return this.calls.filter((c) => c.startsWith(`${call} `)).length;
  }

  isIsolated(machineId: string): boolean {
    return isolationState(this.#of(machineId)).newestSucceeded?.type === 'Isolate';
  }

  activities(): ApiActivities {
    return {
      getMachine: async ({ machineId }) =>
        this.#call('getMachine', machineId, () => this.#machineSummary(this.#machine(machineId))),
      listIsolationActions: async ({ machineId, correlationTag, withDevice }) =>
        this.#call('listIsolationActions', machineId, () => {
          const state = isolationState(this.#of(machineId), correlationTag);
          if (!withDevice) return state;
          // As the real activity: a machine Defender does not know leaves the device unknown, not the call failed.
          const machine = this.machines.get(machineId);
          return {
            ...state,
            device: machine ? { healthStatus: machine.healthStatus, lastSeen: machine.lastSeen } : null,
          };
        }),
      postUnisolate: async (input) => {
        const { machineId, comment } = input;
        // As the real activity: a retried attempt never posts blind (the previous one may have reached Defender).
        if (activityInfo().attempt > 1) throw failureOf(DefenderFailureType.PreviousAttemptUnknown, true);
        const action = await this.#call('postUnisolate', machineId, () => this.#post(machineId, comment));
        // The real activity's registration with the watcher, unless a test has it fail.
        const watched = this.registersPosted && (await registerPosted(undefined, input, action));
        return { action, watched };
      },
      cancelMachineAction: async ({ actionId }) =>
        this.#call('cancelMachineAction', actionId, () => this.#cancel(actionId)),
      checkWatchedActions: async ({ watched }) =>
        this.#call('checkWatchedActions', 'tenant', () => {
          this.#advance();
          const ours = watched.flatMap(({ actionId }) => this.actions.filter((a) => a.id === actionId));
          const finals = ours
            .filter((a) => isFinal(a.status))
            .map((action) => ({ action: summary(action), laterIsolate: this.#laterIsolate(action) }));
          return { finals, seen: ours.map((a) => a.id), pageFull: false };
        }),
      lookupMachines: async ({ machineIds }) =>
        this.#call('lookupMachines', 'batch', () =>
          machineIds.flatMap((id) => (this.machines.has(id) ? [this.#machineSummary(this.machines.get(id)!)] : [])),
        ),
      isolationStates: async ({ machineIds }) =>
        this.#call('isolationStates', 'batch', () =>
          Object.fromEntries(machineIds.map((id) => [id, isolationState(this.#of(id))])),
        ),
      listMachinesPage: async () =>
        this.#call('listMachinesPage', 'batch', () => ({ machineIds: [...this.machines.keys()], pageFull: false })),
      listIsolatedCandidatesPage: async () =>
        this.#call('listIsolatedCandidatesPage', 'batch', () => ({
          machineIds: [...this.machines.keys()].filter((id) => this.isIsolated(id)),
          pageFull: false,
        })),
    };
  }

  async #call<T>(call: Call, subject: string, answer: () => T): Promise<T> {
    this.calls.push(`${call} ${subject}`);
    const failure = this.#failures.get(call)?.shift() ?? this.#always.get(call);
    if (failure && !failure.afterEffect) throw failureOf(failure.type);
    const result = answer();
    await this.#gates.get(call);
    if (failure) throw failureOf(failure.type);
    return result;
  }

  #post(machineId: string, comment: string): MachineActionSummary {
    this.#machine(machineId);
    const machine = this.machines.get(machineId)!;
    if (this.#answerWithPending.delete(machineId)) {
      return summary(this.addAction(machineId, 'Unisolate', { comment: 'released from the portal', looks: 2 }));
    }
    if (this.#of(machineId).some((a) => a.type === 'Unisolate' && !isFinal(a.status))) {
      throw failureOf(DefenderFailureType.ActiveRequestAlreadyExists);
    }
    const action = this.addAction(machineId, 'Unisolate', {
      comment,
      looks: machine.unisolate.looks,
      outcome: machine.unisolate.outcome,
    });
    action.requestor = 'defender-isolation';
    return summary(action);
  }

  #cancel(actionId: string): { action: MachineActionSummary; cancelledNow: boolean } {
    const action = this.actions.find((a) => a.id === actionId);
    if (!action) throw failureOf(DefenderFailureType.NotFound);
    if (isFinal(action.status)) return { action: summary(action), cancelledNow: false };
    action.status = 'Cancelled';
    action.updatedAt = this.#tick();
    return { action: summary(action), cancelledNow: true };
  }

  /** One watcher look: every pending action comes one look closer to its end. */
  #advance(): void {
    for (const action of this.actions) {
      if (isFinal(action.status)) continue;
      action.looksLeft -= 1;
      action.status = action.looksLeft <= 0 ? action.outcome : 'InProgress';
      action.updatedAt = this.#tick();
    }
  }

  #laterIsolate(action: FakeAction): MachineActionSummary | null {
    const later = this.actions
      .filter((a) => a.machineId === action.machineId && a.type === 'Isolate' && a.status === 'Succeeded')
      .filter((a) => a.updatedAt > action.updatedAt)
      .at(-1);
    return later ? summary(later) : null;
  }

  #machine(machineId: string): FakeMachine {
    const machine = this.machines.get(machineId);
    if (!machine) throw failureOf(DefenderFailureType.NotFound);
    return machine;
  }

  #machineSummary(machine: FakeMachine): MachineSummary {
    return {
      id: machine.id,
      computerDnsName: machine.computerDnsName,
      healthStatus: machine.healthStatus,
      osPlatform: 'Windows11',
      lastSeen: machine.lastSeen,
    };
  }

  #of(machineId: string): MachineAction[] {
    return this.actions.filter((a) => a.machineId === machineId).map(asMachineAction);
  }

  #tick(): string {
    this.#clock += 1_000;
    return new Date(this.#clock).toISOString();
  }
}

function isFinal(status: string): status is Final {
  return status === 'Succeeded' || status === 'Failed' || status === 'TimeOut' || status === 'Cancelled';
}

function failureOf(type: string, retryable = RETRYABLE.has(type)): ApplicationFailure {
  return ApplicationFailure.create({ type, message: `fake Defender: ${type}`, nonRetryable: !retryable });
}

function asMachineAction(a: FakeAction): MachineAction {
  return {
    id: a.id,
    type: a.type,
    status: a.status,
    machineId: a.machineId,
    computerDnsName: a.computerDnsName,
    requestor: a.requestor,
    requestorComment: a.comment,
    creationDateTimeUtc: a.createdAt,
    lastUpdateDateTimeUtc: a.updatedAt,
  };
}

function summary(a: FakeAction): MachineActionSummary {
  return {
    id: a.id,
    type: a.type,
    status: a.status,
    machineId: a.machineId,
    requestor: a.requestor,
    requestorComment: a.comment,
    createdAt: a.createdAt,
    lastUpdateAt: a.updatedAt,
    computerDnsName: a.computerDnsName,
  };
}
