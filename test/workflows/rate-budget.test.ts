/**
 * The tenant's call ledger (workflows/budget/rate-budget.ts) on the time-skipping server: a burst takes the whole
 * minute at once; a reservation that does not fit is refused by the validator with the wait it names (that this leaves
 * no event is checked on the dev server, test/e2e/rate-budget.test.ts: the test server records rejected updates); urgent calls keep their reserve; grants carried across continue-as-new still count; a malformed reservation
 * is refused naming its rule.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  ARRIVAL_SLACK_MS,
  RATE_BUDGET_EXHAUSTED,
  RATE_BUDGET_WORKFLOW_TYPE,
  reserveCallsUpdate,
  type CallWindows,
  type ReserveCallsRequest,
} from '../../contract/index.js';
import { startFastHarness, type FastHarness } from '../helpers/time-skipping.js';

const windows: CallWindows = { perMinute: 100, perHour: 1500, timeScale: 1, headroom: 0.97 };

/** The wait until the first grants leave the minute and its arrival slack, less the real time the test has taken. */
function assertWait(ms: number): void {
  const full = 60_000 + ARRIVAL_SLACK_MS;
  assert.ok(ms > full - 10_000 && ms <= full, `a wait of about ${full} ms, not ${ms} ms`);
}

describe('defenderRateBudget', () => {
  let h: FastHarness;
  before(async () => {
    h = await startFastHarness('rate-budget');
  });
  after(async () => {
    await h?.stop();
  });

  const ledger = (id: string, grants?: number[]) =>
    h.env.client.workflow.start(RATE_BUDGET_WORKFLOW_TYPE, {
      taskQueue: h.taskQueue,
      workflowId: id,
      args: [grants ? { grants } : {}],
    });
  const refusal = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => assert.fail('the reservation should be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowUpdateFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    return err.cause;
  };

  it('a burst takes the minute; then batch calls wait the time named, urgent ones use their reserve', async () => {
    const handle = await ledger('ledger-burst');
    const reserve = (request: Omit<ReserveCallsRequest, 'windows'>) =>
      handle.executeUpdate(reserveCallsUpdate, { args: [{ ...request, windows }] });
    assert.deepEqual(await reserve({ calls: 50, priority: 4 }), { granted: 50, retryAfterMs: 0 });
    // 87 for a batch: 37 more fit; the next waits for the first grants to leave the minute and its slack.
    const partial = await reserve({ calls: 40, priority: 4 });
    assert.equal(partial.granted, 37);
    assertWait(partial.retryAfterMs);
    const refused = await refusal(reserve({ calls: 1, priority: 4 }));
    assert.equal(refused.type, RATE_BUDGET_EXHAUSTED);
    assertWait((refused.details?.[0] as { retryAfterMs: number }).retryAfterMs);
    assert.deepEqual(await reserve({ calls: 10, priority: 1 }), { granted: 10, retryAfterMs: 0 }, 'the reserve');
    assert.equal((await refusal(reserve({ calls: 1, priority: 1 }))).type, RATE_BUDGET_EXHAUSTED, 'the minute: 97');
    await handle.terminate('test done');
  });

  it('grants carried across continue-as-new count in the windows', async () => {
    const handle = await ledger(
      'ledger-carried',
      Array.from({ length: 97 }, () => Date.now()),
    );
    const refused = await refusal(
      handle.executeUpdate(reserveCallsUpdate, { args: [{ calls: 1, priority: 1, windows }] }),
    );
    assert.equal(refused.type, RATE_BUDGET_EXHAUSTED);
    await handle.terminate('test done');
  });

  it('a malformed reservation is refused, naming the rule', async () => {
    const handle = await ledger('ledger-malformed');
    const cases: [unknown, string][] = [
      [{ calls: 0, priority: 1, windows }, 'calls must be an integer from 1 to 50'],
      [{ calls: 1, priority: 9, windows }, 'priority must be an integer from 1 to 5'],
      [{ calls: 1, priority: 1, windows: { ...windows, timeScale: 0 } }, 'windows.timeScale must be a number'],
      [{ calls: 1, priority: 1 }, 'windows.perMinute must be a number'],
      [null, 'calls must be an integer'],
    ];
    for (const [request, rule] of cases) {
      const refused = await refusal(
        handle.executeUpdate(reserveCallsUpdate, { args: [request as ReserveCallsRequest] }),
      );
      assert.equal(refused.type, 'InvalidInput');
      assert.match(refused.message, new RegExp(rule.replace(/\./g, '\\.')));
    }
    await handle.terminate('test done');
  });
});
