/**
 * A worker process's gate to its tenant's call ledger (activities/rate-gate.ts), against a fake ledger: calls waiting
 * together are reserved together; an urgent call is not held behind a batch's wait; a grant goes to callers still
 * waiting; a batch's call facing a long wait gives its activity slot back at once and is retried when the ledger said
 * room would come, while an urgent one waits; a budget the ledger refuses fails the callers for good; a grant that came
 * back too late is not used.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RATE_BUDGET_EXHAUSTED, type ReserveCallsAnswer, type ReserveCallsRequest } from '../../contract/index.js';
import { RateGate } from '../../activities/rate-gate.js';

const windows = { perMinute: 100, perHour: 1500, timeScale: 1, headroom: 0.97 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const refused = (retryAfterMs: number) =>
  new WorkflowUpdateFailedError(
    'refused',
    ApplicationFailure.create({ type: RATE_BUDGET_EXHAUSTED, details: [{ retryAfterMs }] }),
  );

/** A fake ledger: `answer` decides each reservation, which takes `delayMs`; every request is kept. */
function fakeLedger(answer: (r: ReserveCallsRequest) => ReserveCallsAnswer | Error, delayMs = 10) {
  const requests: ReserveCallsRequest[] = [];
  const client = {
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    workflow: {
      async executeUpdateWithStart(_update: unknown, options: { args: [ReserveCallsRequest] }) {
        requests.push(options.args[0]);
        await sleep(delayMs);
        const a = answer(options.args[0]);
        if (a instanceof Error) throw a;
        return a;
      },
    },
  } as unknown as Client;
  return { client, requests };
}

const warnings: string[] = [];
const logger = { warn: (message: string) => void warnings.push(message) };
const gateOf = (maxWaitMs = 2_000) =>
  new RateGate({ workflowId: 'w', workflowTaskQueue: 'q', windows, maxWaitMs, logger });
const never = new AbortController().signal;

describe('the rate gate', () => {
  it('calls waiting together are reserved with one update', async () => {
    const { client, requests } = fakeLedger((r) => ({ granted: r.calls, retryAfterMs: 0 }));
    const gate = gateOf();
    await Promise.all(Array.from({ length: 5 }, () => gate.acquire({ calls: 1, priority: 4, client, signal: never })));
    // The first goes alone (nothing else waited yet); the other four are reserved together.
    assert.deepEqual(
      requests.map((r) => r.calls),
      [1, 4],
    );
  });

  it("an urgent call is not held behind a batch's wait", async () => {
    const { client, requests } = fakeLedger((r) =>
      r.priority === 4 ? refused(10_000) : { granted: r.calls, retryAfterMs: 0 },
    );
    const gate = gateOf(5_000);
    const batch = gate.acquire({ calls: 1, priority: 4, client, signal: never }).catch((e: unknown) => e);
    await sleep(2);
    const started = Date.now();
    await gate.acquire({ calls: 1, priority: 1, client, signal: never });
    assert.ok(Date.now() - started < 500, 'served after the batch was refused, not after its wait');
    assert.deepEqual(
      requests.slice(0, 2).map((r) => r.priority),
      [4, 1],
    );
    const failure = await batch;
    assert.ok(failure instanceof ApplicationFailure && failure.type === RATE_BUDGET_EXHAUSTED);
    assert.ok(failure.nextRetryDelay !== undefined, 'retried when room is expected');
  });

  it('a grant goes to callers still waiting, not to one that gave up', async () => {
    const { client, requests } = fakeLedger(() => ({ granted: 1, retryAfterMs: 5_000 }), 50);
    const gate = gateOf();
    const gaveUp = new AbortController();
    const first = gate.acquire({ calls: 1, priority: 4, client, signal: gaveUp.signal }).catch(() => 'gave up');
    const second = gate.acquire({ calls: 1, priority: 4, client, signal: never }).then(() => 'served');
    await sleep(5);
    gaveUp.abort(new Error('cancelled'));
    assert.deepEqual(await Promise.all([first, second]), ['gave up', 'served']);
    assert.equal(requests.length, 1, "the first caller's grant served the second");
  });

  it("a batch's call facing a long wait gives its slot back at once, retried when room is expected", async () => {
    const { client } = fakeLedger(() => refused(60_000));
    const started = Date.now();
    const failure = await gateOf(5_000)
      .acquire({ calls: 1, priority: 4, client, signal: never })
      .catch((e: unknown) => e);
    assert.ok(Date.now() - started < 1_000, 'not held in the activity');
    assert.ok(failure instanceof ApplicationFailure && failure.type === RATE_BUDGET_EXHAUSTED);
    const delay = Number(failure.nextRetryDelay);
    assert.ok(delay > 55_000 && delay <= 66_000, `about a minute (spread by a tenth at most), not ${delay}`);
  });

  it('an urgent call waits in its activity, up to the longest wait allowed', async () => {
    const { client } = fakeLedger(() => refused(60_000));
    const started = Date.now();
    const failure = await gateOf(300)
      .acquire({ calls: 1, priority: 1, client, signal: never })
      .catch((e: unknown) => e);
    assert.ok(Date.now() - started >= 300);
    assert.ok(failure instanceof ApplicationFailure && failure.type === RATE_BUDGET_EXHAUSTED);
  });

  it('a budget the ledger refuses fails the callers for good', async () => {
    const invalid = new WorkflowUpdateFailedError(
      'refused',
      ApplicationFailure.create({ type: 'InvalidInput', message: 'windows.timeScale must be a number' }),
    );
    const { client } = fakeLedger(() => invalid);
    const failure = await gateOf()
      .acquire({ calls: 1, priority: 1, client, signal: never })
      .catch((e: unknown) => e);
    assert.ok(failure instanceof ApplicationFailure && failure.nonRetryable);
    assert.match(failure.message, /windows\.timeScale/);
  });

  it('a grant that came back too late is not used: the calls are reserved again', async () => {
    let slow = true;
    const { client, requests } = fakeLedger(() => ({ granted: 1, retryAfterMs: 0 }), 0);
    const late = client.workflow.executeUpdateWithStart.bind(client.workflow);
    (client.workflow as { executeUpdateWithStart: unknown }).executeUpdateWithStart = async (...args: unknown[]) => {
      if (slow) {
        slow = false;
        await sleep(4_100);
      }
      return (late as (...a: unknown[]) => Promise<unknown>)(...args);
    };
    await gateOf(10_000).acquire({ calls: 1, priority: 1, client, signal: never });
    assert.equal(requests.length, 2);
    assert.match(warnings.join('\n'), /came back too late/);
  });
});
