/**
 * Guards for what workflows receive by signal or update. Anyone with client access can signal any workflow, so a
 * message is a claim, never a fact: these guards only decide whether it is well formed enough to look at. Hand-written
 * rather than zod so that workflow code (the deterministic sandbox) can run them in a handler or validator.
 */
import { listSome, quoteName } from './bounded-text.js';
import { checkIdentity } from './identity.js';
import { isMachineId, workflowIdProblem } from './ids.js';
import { isFinalStatus, type ActionOutcome } from './machine-actions.js';
import type { CancelReleaseInput } from './release.js';
import { textProblem } from './text.js';
import type { WatchRequest } from './watcher.js';

/** Defender's machine action ids are GUIDs. */
const ACTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;

/** No tenant's watcher polls faster than this, whatever it is told. */
export const MIN_WATCH_POLL_MS = 1_000;
/** Half of Defender's documented budget (1500 calls an hour per app and tenant) is one call every 4.8 s. */
export const DEFAULT_WATCH_FLOOR_MS = 4_800;
export const MAX_WATCH_POLL_MS = DAY_MS;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

export function isActionId(value: unknown): value is string {
  return typeof value === 'string' && ACTION_ID.test(value);
}

/**
 * A `watch` request, held to what a release sends: an action id, a machine id, a creation time (never one the list
 * calls cannot use), a subscriber's workflow id, and a poll interval clamped to the watcher's floor and ceiling.
 */
export function parseWatchRequest(input: unknown): Parsed<WatchRequest> {
  if (typeof input !== 'object' || input === null) return refuse('must be an object');
  const { actionId, machineId, createdAt, subscriber, pollIntervalMs } = input as Record<string, unknown>;
  if (!isActionId(actionId)) return refuse('actionId must be a machine action id (a GUID)');
  if (!isMachineId(machineId)) return refuse('machineId must be a Defender machine id (40 hexadecimal characters)');
  if (typeof createdAt !== 'string' || createdAt.length > 40) return refuse('createdAt must be an ISO 8601 time');
  const created = Date.parse(createdAt);
  if (!Number.isFinite(created)) return refuse('createdAt must be an ISO 8601 time');
  // A subscriber is a release: its id passed the same rule before it could register.
  const subscriberProblem = workflowIdProblem(subscriber);
  if (subscriberProblem !== null || typeof subscriber !== 'string') {
    return refuse(`subscriber ${subscriberProblem ?? 'must be a string'}`);
  }
  if (typeof pollIntervalMs !== 'number' || !Number.isFinite(pollIntervalMs)) {
    return refuse('pollIntervalMs must be a finite number');
  }
  const pollMs = Math.min(Math.max(pollIntervalMs, MIN_WATCH_POLL_MS), MAX_WATCH_POLL_MS);
  return {
    ok: true,
    value: {
      actionId: actionId.toLowerCase(),
      machineId: machineId.toLowerCase(),
      createdAt,
      subscriber,
      pollIntervalMs: pollMs,
    },
  };
}

/** The watcher's nudge: the id of the action that ended, or null. */
export function parseActionFinalNotice(input: unknown): string | null {
  const actionId = typeof input === 'object' && input !== null ? (input as { actionId?: unknown }).actionId : undefined;
  return isActionId(actionId) ? actionId.toLowerCase() : null;
}

/** An outcome as the watcher records it, held to its shape: an action id and a final status, at least. */
export function parseActionOutcome(input: unknown): ActionOutcome | null {
  if (typeof input !== 'object' || input === null) return null;
  const { action, laterIsolate } = input as { action?: { id?: unknown; status?: unknown }; laterIsolate?: unknown };
  if (!isActionId(action?.id) || typeof action.status !== 'string' || !isFinalStatus(action.status)) return null;
  if (
    laterIsolate !== null &&
    (typeof laterIsolate !== 'object' || !isActionId((laterIsolate as { id?: unknown }).id))
  ) {
    return null;
  }
  return input as ActionOutcome;
}

/** A release's nudge to its batch: only the machine id, whose release the batch then looks up in Temporal. */
export function parseReleaseReport(input: unknown): string | null {
  const machineId =
    typeof input === 'object' && input !== null ? (input as { machineId?: unknown }).machineId : undefined;
  return isMachineId(machineId) ? machineId.toLowerCase() : null;
}

/** The longest reason a cancellation takes, as for a rejection. */
export const MAX_CANCEL_REASON = 1000;

/**
 * A `cancelRelease` request: `by` held to the name rules an approver is held to (and stored in its normalised form),
 * `reason` to the free-text rules, nothing else. The same rules as `cancelReleaseSchema`, which clients parse with;
 * a refusal names the field and the rule, never the value.
 */
export function parseCancelRequest(input: unknown): Parsed<CancelReleaseInput> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return refuse('must be an object');
  const unknown = Object.keys(input).filter((key) => key !== 'by' && key !== 'reason');
  if (unknown.length > 0) return refuse(`has unknown field(s) ${listSome(unknown.map((key) => quoteName(key)))}`);
  const { by, reason } = input as Record<string, unknown>;
  if (by === undefined) return refuse('by is required');
  const who = checkIdentity(by);
  if (who.problem !== undefined) return refuse(`by ${who.problem}`);
  if (reason === undefined) return refuse('reason is required');
  if (typeof reason !== 'string') return refuse('reason must be a string');
  if (reason.length > MAX_CANCEL_REASON) return refuse(`reason must be at most ${MAX_CANCEL_REASON} characters`);
  const problem = textProblem(reason);
  if (problem) return refuse(`reason ${problem}`);
  if (reason.trim() === '') return refuse('reason must not be empty');
  return { ok: true, value: { by: who.identity, reason } };
}
