import { activityInfo, Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  DEFAULT_WATCH_FLOOR_MS,
  DefenderFailureType,
  type CancelOutcome,
  type DeviceHealth,
  type IsolationState,
  type MachineActionSummary,
  type MachineSummary,
  type WatchRequest,
} from '../contract/index.js';
import { callDefender, previousAttemptSentNothing, type DefenderCallOptions } from './defender-call.js';
import { MAX_PAGE_SIZE, type DefenderClient } from './defender/client.js';
import { DefenderApiError } from './defender/errors.js';
import { odata } from './defender/odata.js';
import { isTerminalStatus } from './defender/schemas.js';
import { isolationState } from './isolation-state.js';
import { deviceHealth, summarizeAction, summarizeMachine } from './summaries.js';
import { registerWithWatcher } from './watch-registration.js';

type Deps = DefenderCallOptions & { defender: DefenderClient; watchFloorMs?: number };

/** A registration with the watcher never holds the POST's answer longer than this. */
const REGISTRATION_TIMEOUT_MS = 10_000;

export interface UnisolateInput {
  machineId: string;
  comment: string;
  /**
   * Where to register the posted action, so that the release needs no registration of its own: the tenant's watcher
   * on the release's workflow task queue, and what it tells the watcher about itself.
   */
  watch?: { taskQueue: string; tenant: string | null } & Pick<WatchRequest, 'subscriber' | 'pollIntervalMs'>;
}

/** Defender's answer to the POST, and whether the action is registered with the watcher (else the release does it). */
export interface PostedUnisolate {
  action: MachineActionSummary;
  watched: boolean;
}

/**
 * The Defender calls of one release, each reserved with the tenant's call ledger (`callDefender`); one call per
 * activity, but for the machine read of an approver's evidence, made beside the list in `listIsolationActions` and
 * reserved with it (docs/architecture.md).
 */
export function createReleaseCalls(deps: Deps) {
  return {
    getMachine: (input: { machineId: string }) => getMachine(deps, input),
    listIsolationActions: (input: IsolationListInput) => listIsolationActions(deps, input),
    postUnisolate: (input: UnisolateInput) => postUnisolate(deps, input),
    cancelMachineAction: (input: { actionId: string; comment: string }) => cancelMachineAction(deps, input),
  };
}

/** GET the machine (404 → DefenderNotFound): only to tell an unknown id from a machine never isolated. */
async function getMachine({ defender, ...options }: Deps, input: { machineId: string }): Promise<MachineSummary> {
  return callDefender(
    'machine lookup',
    async (signal) => summarizeMachine(await defender.getMachine(input.machineId, { signal })),
    options,
  );
}

export interface IsolationListInput {
  machineId: string;
  correlationTag?: string;
  /** Also GET the machine for its health and last seen: the evidence of a release that will await a decision. */
  withDevice?: boolean;
}

/**
 * One list call: the machine's Isolate/Unisolate actions reduced to what a release decides on; with `withDevice`, the
 * machine too, read alongside in the same activity so that the evidence costs the release no history event.
 */
async function listIsolationActions(
  { defender, ...options }: Deps,
  input: IsolationListInput,
): Promise<IsolationState> {
  return callDefender(
    'isolation history',
    async (signal) => {
      const [actions, device] = await Promise.all([
        defender.listMachineActions({
          filter: odata.and(odata.eq('machineId', input.machineId), odata.anyOf('type', ['Isolate', 'Unisolate'])),
          top: MAX_PAGE_SIZE,
          signal,
        }),
        input.withDevice ? readDevice(defender, input.machineId, signal) : undefined,
      ]);
      const state = isolationState(actions, input.correlationTag);
      return device === undefined ? state : { ...state, device };
    },
    { ...options, calls: input.withDevice ? 2 : 1 },
  );
}

/**
 * The device's health and last seen, for a person to weigh. Any failure (404, throttling, an odd answer) reads as
 * "not known" rather than failing or retrying the isolation history, which is what the release decides on.
 */
async function readDevice(
  defender: DefenderClient,
  machineId: string,
  signal: AbortSignal,
): Promise<DeviceHealth | null> {
  try {
    return deviceHealth(summarizeMachine(await defender.getMachine(machineId, { signal })));
  } catch (err) {
    log.info('Device health not read: shown as unknown', { machineId, error: (err as Error).name });
    return null;
  }
}

/**
 * POST unisolate, and nothing else that could fail it: the workflow decides what an unknown outcome means. A retry
 * means the previous attempt's outcome is unknown (its worker may have died after Defender created the action), so a
 * retried attempt refuses to post blind and hands the decision back to the workflow, which lists first — unless the
 * previous attempt is known to have sent nothing (the budget held it back). Once posted, the action is registered
 * with the watcher when asked (saving the release a registration of its own in history).
 */
async function postUnisolate({ defender, ...options }: Deps, input: UnisolateInput): Promise<PostedUnisolate> {
  const { attempt } = activityInfo();
  if (attempt > 1 && !previousAttemptSentNothing()) {
    throw ApplicationFailure.create({
      type: DefenderFailureType.PreviousAttemptUnknown,
      message: `attempt ${attempt - 1} of this POST may have reached Defender; look before posting again`,
    });
  }
  const action = await callDefender(
    'release',
    async (signal) => {
      const posted = await defender.unisolateMachine(
        { machineId: input.machineId, comment: input.comment },
        { signal },
      );
      const action = summarizeAction(posted);
      log.info('Defender accepted the release', {
        machineId: input.machineId,
        machineActionId: action.id,
        status: action.status,
        correlationTag: /\[defender-isolation [^\]]+\]/.exec(input.comment)?.[0],
      });
      return action;
    },
    options,
  );
  return { action, watched: await registerPosted(options.watchFloorMs, input, action) };
}

/**
 * Registers the posted action with the tenant's watcher; false when not asked, when the answer is not this machine's
 * Unisolate (the release does not follow it), or when the registration failed: that never fails the POST, whose
 * retry could post a second time. The release then registers the action itself.
 */
export async function registerPosted(
  floorMs: number | undefined,
  input: UnisolateInput,
  action: MachineActionSummary,
): Promise<boolean> {
  const { watch, machineId } = input;
  if (!watch || action.type !== 'Unisolate' || action.machineId?.toLowerCase() !== machineId) return false;
  const { taskQueue, tenant, subscriber, pollIntervalMs } = watch;
  const request = { actionId: action.id, machineId, createdAt: action.createdAt, subscriber, pollIntervalMs };
  try {
    const client = Context.current().client;
    await client.withDeadline(Date.now() + REGISTRATION_TIMEOUT_MS, () =>
      registerWithWatcher(client, { taskQueue, tenant, floorMs: floorMs ?? DEFAULT_WATCH_FLOOR_MS, request }),
    );
    return true;
  } catch (err) {
    log.warn('Posted, but not registered with the watcher: the release registers it', {
      machineActionId: action.id,
      error: String(err).slice(0, 300),
    });
    return false;
  }
}

/** Cancels a machine action that is not final yet; an action that already finished is returned as it is. */
async function cancelMachineAction(
  { defender, ...options }: Deps,
  input: { actionId: string; comment: string },
): Promise<CancelOutcome> {
  return callDefender(
    'cancellation',
    async (signal) => {
      try {
        return { action: summarizeAction(await defender.cancelMachineAction(input, { signal })), cancelledNow: true };
      } catch (err) {
        if (!(err instanceof DefenderApiError && err.status === 400)) throw err;
        const action = await defender.getMachineAction(input.actionId, { signal });
        if (isTerminalStatus(action.status)) return { action: summarizeAction(action), cancelledNow: false };
        throw err;
      }
    },
    // The cancel, and the read of the action when Defender refuses to cancel it (reserved with it: cancels are few).
    { ...options, calls: 2 },
  );
}

export type ReleaseCalls = ReturnType<typeof createReleaseCalls>;
