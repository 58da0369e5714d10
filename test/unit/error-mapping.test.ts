/**
 * Every row of the HTTP-outcome → Temporal-failure mapping, produced by real requests to the simulator over loopback.
 * If a row of the mapping changes, its test fails.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import {
  DEFAULT_RATE_LIMIT_DELAY_MS,
  MAX_RATE_LIMIT_DELAY_MS,
  toActivityFailure,
  UNREADABLE_ANSWER_ATTEMPTS,
} from '../../activities/failures.js';
import { DefenderFailureType } from '../../contract/index.js';
import { DefenderClient } from '../../activities/defender/client.js';
import { DEFAULT_APP, type DefenderSimulator, type FaultRule } from '../../simulator/index.js';
import { clientFor, startSimulator, tokenSourceFor } from '../helpers/simulator.js';

async function failureOf(
  call: Promise<unknown>,
  options?: { rateLimitFallbackMs?: number; attempt?: number },
): Promise<ApplicationFailure> {
  try {
    await call;
  } catch (err) {
    const mapped = toActivityFailure(err, options);
    assert.ok(mapped instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return mapped;
  }
  assert.fail('the call succeeded');
}

function assertFailure(failure: ApplicationFailure, type: string, retryable: boolean) {
  assert.equal(failure.type, type, failure.message);
  assert.equal(failure.nonRetryable, !retryable, `${type} should be ${retryable ? 'retryable' : 'non-retryable'}`);
}

describe('HTTP outcome → Temporal failure mapping', () => {
  let sim: DefenderSimulator;
  let client: DefenderClient;
  let machineId: string;

  before(async () => {
    sim = await startSimulator({ rateLimits: false });
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(() => {
    sim.clearFaults();
    sim.clearRequests();
    machineId = sim.addMachine({ isolated: true }).id;
    client = clientFor(sim, { requestTimeoutMs: 500 });
  });

  const fault = (rule: FaultRule) => sim.addFault(rule);

  it('400 ActiveRequestAlreadyExists → ActiveRequestAlreadyExists, non-retryable (the workflow adopts)', async () => {
    await client.unisolateMachine({ machineId, comment: 'first' });
    const failure = await failureOf(client.unisolateMachine({ machineId, comment: 'second' }));
    assertFailure(failure, DefenderFailureType.ActiveRequestAlreadyExists, false);
    assert.equal((failure.details?.[0] as { code: string }).code, 'ActiveRequestAlreadyExists');
  });

  it('400 "Action is already in progress" with another code → ActiveRequestAlreadyExists', async () => {
    fault({
      fault: { kind: 'status', status: 400, code: 'BadRequest', message: 'Action is already in progress' },
      times: 1,
    });
    const failure = await failureOf(client.unisolateMachine({ machineId, comment: 'x' }));
    assertFailure(failure, DefenderFailureType.ActiveRequestAlreadyExists, false);
  });

  it('other 400s (a real InvalidInput from the API) → DefenderBadRequest, non-retryable', async () => {
    const failure = await failureOf(
      client.isolateMachine({ machineId, comment: 'x', isolationType: 'Partial' as unknown as 'Full' }),
    );
    assertFailure(failure, DefenderFailureType.BadRequest, false);
    assert.match(failure.message, /HTTP 400 \(InvalidInput/);
  });

  it('400 InvalidRequestBody → DefenderBadRequest', async () => {
    fault({ fault: { kind: 'status', status: 400, code: 'InvalidRequestBody' }, times: 1 });
    assertFailure(
      await failureOf(client.unisolateMachine({ machineId, comment: 'x' })),
      DefenderFailureType.BadRequest,
      false,
    );
  });

  for (const code of ['Forbidden', 'DisabledFeature', 'DisallowedOperation']) {
    it(`403 ${code} → DefenderAccessDenied, non-retryable`, async () => {
      fault({ fault: { kind: 'status', status: 403, code }, times: 1 });
      const failure = await failureOf(client.getMachine(machineId));
      assertFailure(failure, DefenderFailureType.AccessDenied, false);
      assert.equal((failure.details?.[0] as { code: string }).code, code);
    });
  }

  it('403 from a real missing app role → DefenderAccessDenied', async () => {
    const readOnly = {
      ...DEFAULT_APP,
      clientId: 'readonly-app',
      clientSecret: 'readonly-app-secret-value',
      roles: ['Machine.Read.All'],
    };
    const other = await startSimulator({ apps: [readOnly], rateLimits: false });
    try {
      const id = other.addMachine({ isolated: true }).id;
      const roClient = clientFor(other, { tokens: tokenSourceFor(other, readOnly) });
      const failure = await failureOf(roClient.unisolateMachine({ machineId: id, comment: 'x' }));
      assertFailure(failure, DefenderFailureType.AccessDenied, false);
      assert.match(failure.message, /Missing application roles/);
    } finally {
      await other.stop();
    }
  });

  it('404 ResourceNotFound (unknown machine) → DefenderNotFound, non-retryable, with the correlation target', async () => {
    const failure = await failureOf(client.getMachine('0'.repeat(40)));
    assertFailure(failure, DefenderFailureType.NotFound, false);
    const details = failure.details?.[0] as { code: string; target: string };
    assert.equal(details.code, 'ResourceNotFound');
    assert.match(details.target, /^[0-9a-f-]{36}$/);
  });

  it('401 once → the token is refreshed and the call retried once, successfully', async () => {
    await client.getMachine(machineId);
    sim.revokeTokens();
    const machine = await client.getMachine(machineId);
    assert.equal(machine.id, machineId);
    const calls = sim.requests.map((r) => `${r.endpoint}:${r.status}`);
    assert.deepEqual(calls, ['token:200', 'getMachine:200', 'getMachine:401', 'token:200', 'getMachine:200']);
  });

  it('401 after a fresh token → DefenderUnauthorized, non-retryable, after exactly one refresh', async () => {
    fault({ match: { endpoint: 'getMachine' }, fault: { kind: 'status', status: 401, code: 'Unauthorized' } });
    const failure = await failureOf(client.getMachine(machineId));
    assertFailure(failure, DefenderFailureType.Unauthorized, false);
    assert.deepEqual(
      sim.requests.map((r) => r.endpoint),
      ['token', 'getMachine', 'token', 'getMachine'],
    );
  });

  it('429 with Retry-After → DefenderRateLimited, retryable, nextRetryDelay from the header', async () => {
    fault({ fault: { kind: 'status', status: 429, retryAfter: 7 }, times: 1 });
    const failure = await failureOf(client.getMachine(machineId));
    assertFailure(failure, DefenderFailureType.RateLimited, true);
    assert.equal(failure.nextRetryDelay, 7000);
  });

  it('429 without Retry-After → DefenderRateLimited with the fallback delay', async () => {
    fault({ fault: { kind: 'status', status: 429, retryAfter: null }, times: 1 });
    const failure = await failureOf(client.getMachine(machineId));
    assertFailure(failure, DefenderFailureType.RateLimited, true);
    assert.equal(failure.nextRetryDelay, DEFAULT_RATE_LIMIT_DELAY_MS);
    fault({ fault: { kind: 'status', status: 429, retryAfter: null }, times: 1 });
    const configured = await failureOf(client.getMachine(machineId), { rateLimitFallbackMs: 1234 });
    assert.equal(configured.nextRetryDelay, 1234);
  });

  it("429 from the simulator's real throttle carries its Retry-After", async () => {
    const throttled = await startSimulator({ rateLimits: { perMinute: 2, perHour: 100 } });
    try {
      const id = throttled.addMachine().id;
      const c = clientFor(throttled);
      await c.getMachine(id);
      await c.getMachine(id);
      const failure = await failureOf(c.getMachine(id));
      assertFailure(failure, DefenderFailureType.RateLimited, true);
      const delay = Number(failure.nextRetryDelay);
      assert.ok(delay > 50_000 && delay <= 60_000, `Retry-After ≈ the rest of the minute, got ${delay}`);
    } finally {
      await throttled.stop();
    }
  });

  for (const status of [500, 502, 503, 504]) {
    it(`${status} → DefenderServerError, retryable`, async () => {
      fault({ fault: { kind: 'status', status }, times: 1 });
      assertFailure(await failureOf(client.getMachine(machineId)), DefenderFailureType.ServerError, true);
    });
  }

  it('a non-JSON (HTML) error body is tolerated → DefenderServerError', async () => {
    fault({ fault: { kind: 'html', status: 502 }, times: 1 });
    const failure = await failureOf(client.getMachine(machineId));
    assertFailure(failure, DefenderFailureType.ServerError, true);
    assert.match(failure.message, /HTTP 502/);
  });

  it('no answer before the request timeout → DefenderTimeout, retryable', async () => {
    fault({ fault: { kind: 'delay', ms: 1_500 }, times: 1 });
    assertFailure(await failureOf(client.getMachine(machineId)), DefenderFailureType.Timeout, true);
  });

  it('connection reset → DefenderNetworkError, retryable', async () => {
    fault({ fault: { kind: 'reset' }, times: 1 });
    const failure = await failureOf(client.getMachine(machineId));
    assertFailure(failure, DefenderFailureType.NetworkError, true);
  });

  it('connection refused → DefenderNetworkError, retryable', async () => {
    const gone = await startSimulator();
    const url = gone.url;
    await gone.stop();
    const closed = new DefenderClient({
      apiUrl: url,
      tokens: { getToken: async () => 'x' },
      userAgent: 't',
      requestTimeoutMs: 500,
    });
    assertFailure(await failureOf(closed.getMachine(machineId)), DefenderFailureType.NetworkError, true);
  });

  it('a 2xx with malformed JSON → DefenderInvalidResponse, retryable', async () => {
    fault({ fault: { kind: 'malformed-json' }, times: 1 });
    assertFailure(await failureOf(client.getMachine(machineId)), DefenderFailureType.InvalidResponse, true);
  });

  it(`an answer still unreadable at attempt ${UNREADABLE_ANSWER_ATTEMPTS} → DefenderInvalidResponse, non-retryable`, async () => {
    fault({ fault: { kind: 'malformed-json' }, times: 1 });
    const failure = await failureOf(client.getMachine(machineId), { attempt: UNREADABLE_ANSWER_ATTEMPTS });
    assertFailure(failure, DefenderFailureType.InvalidResponse, false);
  });

  it('a 2xx JSON body missing documented fields → DefenderInvalidResponse', async () => {
    const odd = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":"nope"}'),
    );
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    try {
      const c = new DefenderClient({
        apiUrl: `http://127.0.0.1:${(odd.address() as AddressInfo).port}`,
        tokens: { getToken: async () => 't' },
        userAgent: 't',
      });
      const failure = await failureOf(c.getMachine(machineId));
      assertFailure(failure, DefenderFailureType.InvalidResponse, true);
      assert.match(failure.message, /id: /);
    } finally {
      odd.close();
    }
  });

  it('a hostile answer: Retry-After of a year waits an hour at most; its error text is cut and redacted', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const hostile = createServer((_req, res) =>
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '31536000' }).end(
        JSON.stringify({
          error: { code: 'TooManyRequests', message: `Authorization: Bearer ${token}\n${'x'.repeat(100_000)}` },
        }),
      ),
    );
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    try {
      const c = new DefenderClient({
        apiUrl: `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`,
        tokens: { getToken: async () => 't' },
        userAgent: 't',
      });
      const failure = await failureOf(c.getMachine(machineId));
      assertFailure(failure, DefenderFailureType.RateLimited, true);
      assert.equal(failure.nextRetryDelay, MAX_RATE_LIMIT_DELAY_MS);
      assert.ok(failure.message.length < 1_000, `a message of ${failure.message.length} characters`);
      assert.ok(!failure.message.includes(token) && !failure.message.includes('\n'), failure.message.slice(0, 200));
    } finally {
      hostile.close();
    }
  });

  it('token endpoint refuses the secret → DefenderAuthFailed, non-retryable, without the secret in the message', async () => {
    const bad = clientFor(sim, { tokens: tokenSourceFor(sim, DEFAULT_APP, { clientSecret: 'wrong-secret-value' }) });
    const failure = await failureOf(bad.getMachine(machineId));
    assertFailure(failure, DefenderFailureType.AuthFailed, false);
    assert.match(failure.message, /invalid_client/);
    assert.doesNotMatch(JSON.stringify({ m: failure.message, d: failure.details }), /wrong-secret-value/);
  });

  it('token endpoint outage (503) → DefenderServerError, retryable', async () => {
    fault({ match: { endpoint: 'token' }, fault: { kind: 'status', status: 503 }, times: 1 });
    const fresh = clientFor(sim);
    assertFailure(await failureOf(fresh.getMachine(machineId)), DefenderFailureType.ServerError, true);
  });

  it('a redirect to another origin → DefenderRedirectRefused, and the other origin sees nothing', async () => {
    let hits = 0;
    const elsewhere = createServer((_req, res) => {
      hits += 1;
      res.end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      const location = `http://localhost:${(elsewhere.address() as AddressInfo).port}/steal`;
      fault({ fault: { kind: 'redirect', location }, times: 1 });
      const failure = await failureOf(client.getMachine(machineId));
      assertFailure(failure, DefenderFailureType.RedirectRefused, false);
      assert.equal(hits, 0);
    } finally {
      elsewhere.close();
    }
  });

  it('a same-origin redirect loop on the API → DefenderRedirectRefused at once, one request, no retry', async () => {
    let hits = 0;
    const looping = createServer((req, res) => {
      hits += 1;
      res.writeHead(302, { location: `${req.url}?again=leak-marker` }).end();
    });
    await new Promise<void>((resolve) => looping.listen(0, '127.0.0.1', resolve));
    try {
      const c = new DefenderClient({
        apiUrl: `http://127.0.0.1:${(looping.address() as AddressInfo).port}`,
        tokens: { getToken: async () => 't' },
        userAgent: 't',
      });
      const failure = await failureOf(c.getMachine(machineId));
      assertFailure(failure, DefenderFailureType.RedirectRefused, false);
      assert.match(failure.message, /Defender getMachine answered HTTP 302 \(a redirect\), refused/);
      assert.doesNotMatch(failure.message, /leak-marker/);
      assert.equal(hits, 1);
    } finally {
      looping.close();
    }
  });

  it('an invalid machine id → InvalidInput, and nothing is sent', async () => {
    const failure = await failureOf(client.unisolateMachine({ machineId: '../machineactions', comment: 'x' }));
    assertFailure(failure, DefenderFailureType.InvalidInput, false);
    assert.equal(sim.requests.length, 0);
  });

  it('toActivityFailure passes unknown errors through untouched', () => {
    const bug = new TypeError('bug');
    assert.equal(toActivityFailure(bug), bug);
  });
});
