/**
 * The call ledger's arithmetic (workflows/budget/call-windows.ts): both sliding windows hold, a burst may use the
 * whole minute, the hour binds after, urgent calls keep a reserve others cannot touch, and the wait it names is the
 * moment the next call fits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARRIVAL_SLACK_MS, type CallWindows } from '../../contract/index.js';
import { capsFor, fit, since } from '../../workflows/budget/call-windows.js';

const defender: CallWindows = { perMinute: 100, perHour: 1500, timeScale: 1, headroom: 0.97 };
const at = (n: number, t: number) => Array.from({ length: n }, () => t);

describe('the call ledger windows', () => {
  it('caps: 97 a minute and 1455 an hour for urgent calls; others leave 10 and 22 of them in reserve', () => {
    assert.deepEqual(capsFor(defender, 1), { minute: 97, hour: 1455 });
    assert.deepEqual(capsFor(defender, 3), { minute: 87, hour: 1433 });
    assert.deepEqual(capsFor(defender, 5), { minute: 87, hour: 1433 });
  });

  it('a burst of 40 calls fits an empty minute at once', () => {
    assert.deepEqual(fit([], 0, { calls: 40, priority: 1, windows: defender }), { granted: 40, retryAfterMs: 0 });
  });

  it('a full minute grants what is left and names when the oldest grant leaves it', () => {
    const grants = [...at(50, 1_000), ...at(30, 20_000)];
    // 87 for a batch: 7 more fit; the 8th waits until the first grants (at 1 s) leave the minute and its arrival
    // slack.
    assert.deepEqual(fit(grants, 30_000, { calls: 10, priority: 4, windows: defender }), {
      granted: 7,
      retryAfterMs: 31_000 + ARRIVAL_SLACK_MS,
    });
    // Urgent calls still find their reserve.
    assert.deepEqual(fit(grants, 30_000, { calls: 10, priority: 1, windows: defender }), {
      granted: 10,
      retryAfterMs: 0,
    });
  });

  it('the hour binds even when every minute had room', () => {
    // 1433 grants spread over the last hour, 24 a minute: the minute has room, the hour (for a batch) has none.
    const grants = Array.from({ length: 1433 }, (_, i) => i * 2_500);
    const now = 1433 * 2_500;
    const batch = fit(grants, now, { calls: 1, priority: 4, windows: defender });
    assert.equal(batch.granted, 0);
    // The next one fits when the oldest grant (t = 0) leaves the hour.
    assert.equal(batch.retryAfterMs, 3_600_000 + ARRIVAL_SLACK_MS - now);
    assert.equal(fit(grants, now, { calls: 5, priority: 1, windows: defender }).granted, 5, 'urgent: the reserve');
  });

  it('a time-compressed budget has windows that many times shorter (plus the arrival slack, which is real time)', () => {
    const compressed = { ...defender, timeScale: 60 };
    const grants = at(87, 0);
    assert.equal(fit(grants, 999 + ARRIVAL_SLACK_MS, { calls: 1, priority: 4, windows: compressed }).granted, 0);
    assert.deepEqual(fit(grants, 1_000 + ARRIVAL_SLACK_MS, { calls: 1, priority: 4, windows: compressed }), {
      granted: 1,
      retryAfterMs: 0,
    });
  });

  it('a request beyond the cap of an empty window waits for the calls granted now to leave it', () => {
    const small = { ...defender, perMinute: 30 };
    assert.deepEqual(fit([], 0, { calls: 50, priority: 4, windows: small }), {
      granted: 26,
      retryAfterMs: 60_000 + ARRIVAL_SLACK_MS,
    });
  });

  it('since: the grants later than a time, from a sorted list', () => {
    assert.deepEqual(since([1, 2, 2, 3, 5], 2), [3, 5]);
    assert.deepEqual(since([1, 2], 5), []);
    assert.deepEqual(since([1, 2], 0), [1, 2]);
  });
});
