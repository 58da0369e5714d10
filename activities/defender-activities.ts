import { activityInfo, cancellationSignal, log } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { DefenderApiError } from './defender/errors.js';
import { MAX_PAGE_SIZE, type DefenderClient } from './defender/client.js';
import { odata } from './defender/odata.js';
import { isTerminalStatus, type MachineAction } from './defender/schemas.js';
import { toActivityFailure } from './failures.js';
import { summarizeAction, summarizeMachine } from './summaries.js';
import type {
  ActionOutcome,
  IsolationState,
  IsolationView,
  MachineActionSummary,
  MachineSummary,
  ReleaseSubmission,
  WatchedAction,
} from './types.js';

export interface DefenderActivityDeps {
  defender: DefenderClient;
  /** Delay before retrying a 429 that carried no Retry-After. */
  rateLimitFallbackMs?: number;
}

/** Thrown (retryable, but listed as non-retryable by the release) by a retried POST: see postUnisolate. */
export const PREVIOUS_ATTEMPT_UNKNOWN = 'PreviousAttemptUnknown';

/** Failure types of the confirmation activity while the action is not final; retried by the polling policy. */
export const ConfirmationFailureType = {
  Pending: 'MachineActionPending',
  NotYetVisible: 'MachineActionNotYetVisible',
} as const;

// Clocks of Defender and the worker differ; look this far before the workflow's own start for our actions.
const CLOCK_SKEW_MS = 5 * 60_000;

export function createDefenderActivities(deps: DefenderActivityDeps) {
  const { defender } = deps;

  /** Runs a Defender call inside an activity: logs Defender's correlation id and maps the failure in one place. */
  async function call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await fn(cancellationSignal());
    } catch (err) {
      if (err instanceof DefenderApiError) {
        // Defender's error.target is its correlation id for the request: what its support asks for.
        log.warn(`Defender ${what} failed`, {
          endpoint: err.endpoint,
          status: err.status,
          code: err.code,
          correlationId: err.target,
        });
      }
      throw toActivityFailure(err, { rateLimitFallbackMs: deps.rateLimitFallbackMs });
    }
  }

  async function isolationActions(machineId: string, signal: AbortSignal, since?: string): Promise<MachineAction[]> {
    const filters = [odata.eq('machineId', machineId), odata.anyOf('type', ['Isolate', 'Unisolate'])];
    if (since) filters.push(odata.since('creationDateTimeUtc', since));
    return defender.listAllMachineActions({ filter: odata.and(...filters), signal });
  }

  return {
    /**
     * Reads the machine and its Isolate/Unisolate history: does it exist, is a release or an isolation in flight,
     * which isolation action succeeded last. Two GETs.
     */
    async inspectMachine(input: { machineId: string }): Promise<IsolationView> {
      return call('inspection', async (signal) => {
        const machine = await defender.getMachine(input.machineId, { signal });
        const actions = await isolationActions(machine.id.toLowerCase(), signal);
        return isolationView(summarizeMachine(machine), actions);
      });
    },

    /**
     * Makes sure exactly one Unisolate action exists for this release and returns it. After an attempt whose outcome
     * is unknown (timeout, reset, 5xx, worker crash) it first looks for an action carrying our correlation tag before
     * posting again; when Defender says one is already in progress it adopts that one instead of failing.
     */
    async submitRelease(input: {
      machineId: string;
      comment: string;
      correlationTag: string;
      notBefore: string;
    }): Promise<ReleaseSubmission> {
      return call('release', async (signal) => {
        if (activityInfo().attempt > 1) {
          const since = new Date(Date.parse(input.notBefore) - CLOCK_SKEW_MS).toISOString();
          const ours = (await isolationActions(input.machineId, signal, since)).find(
            (a) => a.type === 'Unisolate' && (a.requestorComment ?? '').includes(input.correlationTag),
          );
          if (ours) {
            log.info('Adopting the release action an earlier attempt created', { machineActionId: ours.id });
            return { action: summarizeAction(ours), how: 'adopted-after-unknown-outcome' };
          }
        }
        try {
          const action = await defender.unisolateMachine(
            { machineId: input.machineId, comment: input.comment },
            { signal },
          );
          return { action: summarizeAction(action), how: 'posted' };
        } catch (err) {
          if (!(err instanceof DefenderApiError && err.isActiveRequestAlreadyExists)) throw err;
          const inFlight = (await isolationActions(input.machineId, signal))
            .filter((a) => a.type === 'Unisolate' && !isTerminalStatus(a.status))
            .sort(newestFirst)[0];
          // Not visible (yet, or it just finished): let the workflow look at the machine again.
          if (!inFlight) throw err;
          const how = (inFlight.requestorComment ?? '').includes(input.correlationTag)
            ? 'adopted-after-unknown-outcome'
            : 'adopted-in-flight';
          log.info('Adopting the release action already in progress', { machineActionId: inFlight.id, how });
          return { action: summarizeAction(inFlight), how };
        }
      });
    },

    /**
     * One poll of a machine action. Returns it once final (Succeeded, Failed, TimeOut, Cancelled); otherwise fails with
     * a retryable, benign failure, so that the activity's retry policy is the polling loop and history does not grow
     * with the number of polls. A just-created action may 404 for a short while: tolerated until `notFoundGraceUntil`.
     */
    async confirmMachineAction(input: { actionId: string; notFoundGraceUntil: string }): Promise<MachineActionSummary> {
      return call('confirmation', async (signal) => {
        let action: MachineAction;
        try {
          action = await defender.getMachineAction(input.actionId, { signal });
        } catch (err) {
          if (
            err instanceof DefenderApiError &&
            err.status === 404 &&
            Date.now() < Date.parse(input.notFoundGraceUntil)
          ) {
            throw ApplicationFailure.create({
              message: `machine action ${input.actionId} is not visible yet`,
              type: ConfirmationFailureType.NotYetVisible,
              category: ApplicationFailureCategory.BENIGN,
            });
          }
          throw err;
        }
        if (isTerminalStatus(action.status)) return summarizeAction(action);
        throw ApplicationFailure.create({
          message: `machine action ${action.id} is ${action.status}`,
          type: ConfirmationFailureType.Pending,
          category: ApplicationFailureCategory.BENIGN,
          details: [summarizeAction(action)],
        });
      });
    },

    // ---- One Defender call per activity: the API task queue's rate limit then counts calls. ----

    /** GET the machine (404 → DefenderNotFound). */
    async getMachine(input: { machineId: string }): Promise<MachineSummary> {
      return call('machine lookup', async (signal) =>
        summarizeMachine(await defender.getMachine(input.machineId, { signal })),
      );
    },

    /**
     * One page of the machine's Isolate/Unisolate actions, reduced to what a release decides on; with a correlation tag,
     * also the Unisolate an earlier attempt of this release created, if any.
     */
    async listIsolationActions(input: {
      machineId: string;
      correlationTag?: string;
      since?: string;
    }): Promise<IsolationState> {
      return call('isolation history', async (signal) => {
        const since = input.since ? new Date(Date.parse(input.since) - CLOCK_SKEW_MS).toISOString() : undefined;
        const filters = [odata.eq('machineId', input.machineId), odata.anyOf('type', ['Isolate', 'Unisolate'])];
        if (since) filters.push(odata.since('creationDateTimeUtc', since));
        const actions = await defender.listMachineActions({
          filter: odata.and(...filters),
          top: MAX_PAGE_SIZE,
          signal,
        });
        return isolationState(actions, input.correlationTag);
      });
    },

    /** POST unisolate, nothing else: the workflow decides what an unknown outcome means. */
    async postUnisolate(input: {
      machineId: string;
      comment: string;
      /** Set by releases that look for their own action after an unknown outcome (see below). */
      lookFirstOnRetry?: boolean;
    }): Promise<MachineActionSummary> {
      // A retry means the previous attempt's outcome is unknown: its worker may have died after Defender created the
      // action. Posting again could release twice; hand the decision back to the workflow, which lists first.
      if (input.lookFirstOnRetry && activityInfo().attempt > 1) {
        throw ApplicationFailure.create({
          type: PREVIOUS_ATTEMPT_UNKNOWN,
          message: `attempt ${activityInfo().attempt - 1} of this POST may have reached Defender; look before posting again`,
        });
      }
      return call('release', async (signal) => {
        const action = summarizeAction(
          await defender.unisolateMachine({ machineId: input.machineId, comment: input.comment }, { signal }),
        );
        log.info('Defender accepted the release', {
          machineId: input.machineId,
          machineActionId: action.id,
          status: action.status,
          correlationTag: /\[defender-isolation [^\]]+\]/.exec(input.comment)?.[0],
        });
        return action;
      });
    },

    /**
     * One page of the tenant's isolation actions since `since`: which watched actions are final, and for each, an Isolate
     * of the same machine that succeeded after it. Serves every release waiting in the tenant with one call per page.
     */
    async checkWatchedActions(input: {
      since: string;
      watched: WatchedAction[];
      skip: number;
      pageSize?: number;
    }): Promise<{ finals: ActionOutcome[]; pageFull: boolean; seen: number }> {
      return call('watch', async (signal) => {
        const pageSize = input.pageSize ?? MAX_PAGE_SIZE;
        const since = new Date(Date.parse(input.since) - CLOCK_SKEW_MS).toISOString();
        const page = await defender.listMachineActions({
          filter: odata.and(odata.anyOf('type', ['Isolate', 'Unisolate']), odata.since('creationDateTimeUtc', since)),
          top: pageSize,
          skip: input.skip,
          signal,
        });
        const wanted = new Set(input.watched.map((w) => w.actionId.toLowerCase()));
        const finals: ActionOutcome[] = [];
        for (const action of page) {
          if (!wanted.has(action.id.toLowerCase()) || !isTerminalStatus(action.status)) continue;
          const later = page
            .filter(
              (a) =>
                a.type === 'Isolate' &&
                a.status === 'Succeeded' &&
                a.machineId === action.machineId &&
                finishedAt(a) > finishedAt(action),
            )
            .sort((a, b) => finishedAt(b) - finishedAt(a))[0];
          finals.push({ action: summarizeAction(action), laterIsolate: later ? summarizeAction(later) : null });
        }
        return { finals, pageFull: page.length >= pageSize, seen: page.length };
      });
    },

    /** Cancels a machine action that is not final yet; an action that already finished is returned as it is. */
    async cancelMachineAction(input: { actionId: string; comment: string }): Promise<MachineActionSummary> {
      return call('cancellation', async (signal) => {
        try {
          return summarizeAction(await defender.cancelMachineAction(input, { signal }));
        } catch (err) {
          if (!(err instanceof DefenderApiError && err.status === 400)) throw err;
          const action = await defender.getMachineAction(input.actionId, { signal });
          if (isTerminalStatus(action.status)) return summarizeAction(action);
          throw err;
        }
      });
    },
  };
}

export type DefenderActivities = ReturnType<typeof createDefenderActivities>;

function newestFirst(a: MachineAction, b: MachineAction): number {
  return Date.parse(b.creationDateTimeUtc) - Date.parse(a.creationDateTimeUtc);
}

function finishedAt(a: MachineAction): number {
  return Date.parse(a.lastUpdateDateTimeUtc ?? a.creationDateTimeUtc);
}

export function isolationView(machine: IsolationView['machine'], actions: MachineAction[]): IsolationView {
  const inFlight = (type: string) =>
    actions.filter((a) => a.type === type && !isTerminalStatus(a.status)).sort(newestFirst)[0];
  const newestSucceeded = actions
    .filter((a) => a.status === 'Succeeded')
    .sort((a, b) => finishedAt(b) - finishedAt(a))[0];
  const unisolate = inFlight('Unisolate');
  const isolate = inFlight('Isolate');
  return {
    machine,
    newestSucceeded: newestSucceeded ? summarizeAction(newestSucceeded) : null,
    inFlightUnisolate: unisolate ? summarizeAction(unisolate) : null,
    inFlightIsolate: isolate ? summarizeAction(isolate) : null,
  };
}

/** Reduces a machine's isolation actions to the decision inputs; `ours` is the newest Unisolate carrying `tag`. */
export function isolationState(actions: MachineAction[], correlationTag?: string): IsolationState {
  const { machine: _machine, ...view } = isolationView(
    { id: '', computerDnsName: null, healthStatus: null, osPlatform: null },
    actions,
  );
  const ours = correlationTag
    ? actions
        .filter((a) => a.type === 'Unisolate' && (a.requestorComment ?? '').includes(correlationTag))
        .sort(newestFirst)[0]
    : undefined;
  return { ...view, ours: ours ? summarizeAction(ours) : null };
}
