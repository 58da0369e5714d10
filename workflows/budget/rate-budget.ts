import * as wf from '@temporalio/workflow';
import {
  ARRIVAL_SLACK_MS,
  MAX_CALLS_PER_RESERVATION,
  RATE_BUDGET_EXHAUSTED,
  reserveCallsUpdate,
  type RateBudgetState,
  type ReserveCallsAnswer,
  type ReserveCallsRequest,
} from '../../contract/index.js';
import { fit, since } from './call-windows.js';

/** A ledger longer than this continues as new, carrying the last hour's grants. */
const EVENTS_PER_RUN = 4_000;

/** The most grants kept: an hour of Defender's budget many times over; a flood of fake reservations cannot grow it. */
const MAX_GRANTS = 20_000;

/** Grants older than this count in no window (time-compressed windows are shorter). */
const LONGEST_WINDOW_MS = 3_600_000 + ARRIVAL_SLACK_MS;

/**
 * The tenant's Defender call ledger. Every Defender call, from any worker process serving the tenant, reserves here
 * first, so that the two windows (calls per minute and per hour) hold across processes while a burst may use the
 * whole minute. A reservation that does not fit is refused by the validator, which leaves nothing in history; only
 * grants are recorded. A ledger with no grant in the longest window ends: the next reservation starts it again.
 */
export async function defenderRateBudget(state: RateBudgetState = {}): Promise<void> {
  const grants = carriedGrants(state);
  wf.setHandler(reserveCallsUpdate, (request) => grant(grants, request), {
    validator: (request) => refuseIfFull(grants, request),
  });
  for (;;) {
    if (await wf.condition(needsNewRun, LONGEST_WINDOW_MS, { summary: 'idle before exit' })) break;
    await wf.condition(wf.allHandlersFinished);
    if ((grants.at(-1) ?? -Infinity) <= Date.now() - LONGEST_WINDOW_MS) return;
  }
  await wf.condition(wf.allHandlersFinished);
  await continueOnCurrentBuild({ grants: since(grants, Date.now() - LONGEST_WINDOW_MS) as number[] });
}

function needsNewRun(): boolean {
  const info = wf.workflowInfo();
  return (
    info.continueAsNewSuggested || info.historyLength > EVENTS_PER_RUN || info.targetWorkerDeploymentVersionChanged
  );
}

/**
 * The ledger is pinned to its build like every workflow of the worker, but lives as long as calls keep coming: each
 * run moves to the build that is current when it continues as new, so an old build can drain.
 */
async function continueOnCurrentBuild(next: RateBudgetState): Promise<never> {
  const versioned = Boolean(wf.workflowInfo().currentDeploymentVersion?.deploymentName);
  return wf.makeContinueAsNewFunc<typeof defenderRateBudget>(
    versioned ? { initialVersioningBehavior: 'AUTO_UPGRADE' } : {},
  )(next);
}

/**
 * The grants a run starts with: anyone may start the ledger, so only finite times of the longest window up to now
 * count (a grant dated in the future would block every reservation), sorted, at most `MAX_GRANTS`.
 */
function carriedGrants(state: unknown): number[] {
  const given = (state as RateBudgetState | null | undefined)?.grants;
  if (!Array.isArray(given)) return [];
  const now = Date.now();
  return given
    .filter((t): t is number => typeof t === 'number' && t > now - LONGEST_WINDOW_MS && t <= now)
    .sort((a, b) => a - b)
    .slice(-MAX_GRANTS);
}

function grant(grants: number[], request: ReserveCallsRequest): ReserveCallsAnswer {
  // Never earlier than the last grant: the list stays sorted even if the server's clock steps back.
  const now = Math.max(Date.now(), grants.at(-1) ?? -Infinity);
  const answer = fit(grants, now, request);
  for (let i = 0; i < answer.granted; i++) grants.push(now);
  // Grants older than an hour count in no window (time-compressed ones are shorter); the cap bounds what a flood adds.
  const drop = Math.max(
    grants.length - since(grants, now - 3_600_000 - ARRIVAL_SLACK_MS).length,
    grants.length - MAX_GRANTS,
  );
  if (drop > 0) grants.splice(0, drop);
  return answer;
}

function refuseIfFull(grants: readonly number[], request: ReserveCallsRequest): void {
  checkRequest(request);
  const answer = fit(grants, Date.now(), request);
  if (answer.granted === 0) {
    throw wf.ApplicationFailure.create({
      type: RATE_BUDGET_EXHAUSTED,
      message: `no Defender call of priority ${request.priority} fits the budget for ${answer.retryAfterMs} ms`,
      details: [{ retryAfterMs: answer.retryAfterMs }],
    });
  }
}

/** Reservations come from any client: each number is checked, so that none can skew the windows' arithmetic. */
function checkRequest(request: ReserveCallsRequest): void {
  const { calls, priority, windows } = request ?? {};
  const rules: [boolean, string][] = [
    [isInt(calls, 1, MAX_CALLS_PER_RESERVATION), `calls must be an integer from 1 to ${MAX_CALLS_PER_RESERVATION}`],
    [isInt(priority, 1, 5), 'priority must be an integer from 1 to 5'],
    [isNumber(windows?.perMinute, 1, 1e9), 'windows.perMinute must be a number from 1 to 1e9'],
    [isNumber(windows?.perHour, 1, 6e10), 'windows.perHour must be a number from 1 to 6e10'],
    [isNumber(windows?.timeScale, 1, 10_000), 'windows.timeScale must be a number from 1 to 10000'],
    [isNumber(windows?.headroom, 0.01, 1), 'windows.headroom must be a number from 0.01 to 1'],
  ];
  const broken = rules.find(([ok]) => !ok);
  if (broken) throw wf.ApplicationFailure.create({ type: 'InvalidInput', message: broken[1], nonRetryable: true });
}

const isNumber = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
const isInt = (v: unknown, min: number, max: number): v is number => isNumber(v, min, max) && Number.isInteger(v);
