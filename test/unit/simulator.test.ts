/** The simulator is only useful if it behaves like Defender: these pin the behaviour the reference documents. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_APP, type DefenderSimulator } from '../../simulator/index.js';
import { matches, parseFilter } from '../../simulator/odata.js';
import { clientFor, startSimulator } from '../helpers/simulator.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function token(sim: DefenderSimulator, form: Record<string, string> = {}) {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: DEFAULT_APP.clientId,
    client_secret: DEFAULT_APP.clientSecret,
    scope: 'https://api.securitycenter.microsoft.com/.default',
    ...form,
  });
  const response = await fetch(`${sim.url}/${DEFAULT_APP.tenantId}/oauth2/v2.0/token`, { method: 'POST', body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function api(sim: DefenderSimulator, method: string, path: string, body?: unknown) {
  const { body: t } = await token(sim);
  const response = await fetch(`${sim.url}/api/${path}`, {
    method,
    headers: { authorization: `Bearer ${String(t.access_token)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON, read in assertions only
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

describe('Defender simulator', () => {
  let sim: DefenderSimulator;
  before(async () => {
    sim = await startSimulator({ rateLimits: false, actionVisibilityDelayMs: 300 });
  });
  after(async () => {
    await sim.stop();
  });

  describe('token endpoint', () => {
    it('issues a bearer token for valid client credentials', async () => {
      const { status, body } = await token(sim);
      assert.equal(status, 200);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3599);
    });
    it('checks grant type, client id, secret and scope like Entra ID', async () => {
      assert.deepEqual(
        [
          await token(sim, { grant_type: 'password' }),
          await token(sim, { client_id: 'nobody' }),
          await token(sim, { client_secret: 'nope' }),
          await token(sim, { scope: 'Machine.Isolate' }),
        ].map((r) => [r.status, r.body.error]),
        [
          [400, 'unsupported_grant_type'],
          [400, 'unauthorized_client'],
          [401, 'invalid_client'],
          [400, 'invalid_scope'],
        ],
      );
    });
    it('refuses an unknown tenant', async () => {
      const response = await fetch(`${sim.url}/contoso.onmicrosoft.com/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      assert.equal(response.status, 400);
    });
    it('answers 401 Unauthorized without a valid bearer token', async () => {
      const response = await fetch(`${sim.url}/api/machines/${'a'.repeat(40)}`);
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'Unauthorized');
    });
  });

  describe('isolate / unisolate', () => {
    it('answers 201 with a Pending action that moves to InProgress then Succeeded', async () => {
      const { id } = sim.addMachine({ isolated: true, behavior: { pendingMs: 400, inProgressMs: 800 } });
      const created = await api(sim, 'POST', `machines/${id}/unisolate`, { Comment: 'release' });
      assert.equal(created.status, 201);
      assert.equal(created.body.status, 'Pending');
      assert.equal(created.body.requestSource, 'PublicApi');
      assert.equal(created.body.scope, null);
      // Judge each observation by the time actually elapsed, so that a slow machine cannot make this flaky.
      const expected = (elapsed: number) => (elapsed < 400 ? 'Pending' : elapsed < 1200 ? 'InProgress' : 'Succeeded');
      const seen = new Set<string>();
      const createdAt = Date.parse(created.body.creationDateTimeUtc);
      while (!seen.has('Succeeded')) {
        const before = Date.now() - createdAt;
        const status = sim.machineActions(id)[0]!.status;
        const after = Date.now() - createdAt;
        assert.ok([expected(before), expected(after)].includes(status), `${status} after ${before}-${after} ms`);
        seen.add(status);
        await sleep(50);
      }
      assert.ok(seen.has('InProgress'));
      assert.equal(sim.isIsolated(id), false);
    });
    it('has body keys that are case-sensitive: {"comment"} is refused', async () => {
      const { id } = sim.addMachine({ isolated: true });
      const refused = await api(sim, 'POST', `machines/${id}/unisolate`, { comment: 'lower-case key' });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'InvalidRequestBody');
      assert.equal(sim.machineActions(id).length, 1, 'only the seeded isolate');
    });
    it('applies the duplicate rule: 400 ActiveRequestAlreadyExists while one is in flight', async () => {
      const { id } = sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
      assert.equal((await api(sim, 'POST', `machines/${id}/unisolate`, { Comment: 'a' })).status, 201);
      const duplicate = await api(sim, 'POST', `machines/${id}/unisolate`, { Comment: 'b' });
      assert.equal(duplicate.status, 400);
      assert.deepEqual(
        [duplicate.body.error.code, duplicate.body.error.message],
        ['ActiveRequestAlreadyExists', 'Action is already in progress'],
      );
      assert.match(duplicate.body.error.target, /^[0-9a-f-]{36}$/);
    });
    it('can instead return the pending action on a duplicate', async () => {
      const { id } = sim.addMachine({
        isolated: true,
        behavior: { stuckPending: true, duplicateBehavior: 'return-existing' },
      });
      const first = await api(sim, 'POST', `machines/${id}/unisolate`, { Comment: 'a' });
      const second = await api(sim, 'POST', `machines/${id}/unisolate`, { Comment: 'b' });
      assert.equal(second.status, 201);
      assert.equal(second.body.id, first.body.id);
    });
    it('an offline device that comes back online runs its stuck action to the end', async () => {
      const { id } = sim.addMachine({
        isolated: true,
        behavior: { stuckPending: true, pendingMs: 10, inProgressMs: 10 },
      });
      assert.equal((await api(sim, 'POST', `machines/${id}/unisolate`, { Comment: 'x' })).status, 201);
      const release = () => sim.machineActions(id).find((a) => a.type === 'Unisolate')!;
      await sleep(50);
      assert.equal(release().status, 'Pending');
      sim.bringOnline(id);
      assert.equal(release().status, 'InProgress');
      await sleep(50);
      assert.equal(release().status, 'Succeeded');
      assert.equal(sim.isIsolated(id), false);
    });
    it('answers 404 ResourceNotFound for an unknown machine', async () => {
      const response = await api(sim, 'POST', `machines/${'0'.repeat(40)}/unisolate`, { Comment: 'x' });
      assert.equal(response.status, 404);
      assert.equal(response.body.error.code, 'ResourceNotFound');
      assert.match(response.body.error.message, /was not found\. OrgId/);
    });
    it('ends actions Failed or TimeOut when told to', async () => {
      const failing = sim.addMachine({
        isolated: true,
        behavior: { pendingMs: 10, inProgressMs: 10, unisolateOutcome: 'Failed' },
      });
      const timingOut = sim.addMachine({
        isolated: true,
        behavior: { pendingMs: 10, inProgressMs: 10, unisolateOutcome: 'TimeOut' },
      });
      await api(sim, 'POST', `machines/${failing.id}/unisolate`, { Comment: 'x' });
      await api(sim, 'POST', `machines/${timingOut.id}/unisolate`, { Comment: 'x' });
      await sleep(50);
      assert.equal(sim.machineActions(failing.id)[0]!.status, 'Failed');
      assert.equal(sim.machineActions(timingOut.id)[0]!.status, 'TimeOut');
      assert.equal(sim.isIsolated(failing.id), true);
    });
    it('lets a pending isolate complete after a later release (MS docs #5903)', async () => {
      const { id } = sim.addMachine({
        behavior: { pendingMs: 10, inProgressMs: 10, isolateCompletesAfterRelease: true },
      });
      await api(sim, 'POST', `machines/${id}/isolate`, { Comment: 'contain', IsolationType: 'Full' });
      await sleep(50);
      assert.equal(sim.machineActions(id)[0]!.status, 'Pending', 'the isolate waits');
      await api(sim, 'POST', `machines/${id}/unisolate`, { Comment: 'release' });
      await sleep(80);
      const [newest, older] = sim.machineActions(id);
      assert.equal(newest!.type, 'Unisolate');
      assert.equal(newest!.status, 'Succeeded');
      assert.equal(older!.status, 'Succeeded');
      assert.ok(older!.lastUpdateDateTimeUtc > newest!.lastUpdateDateTimeUtc, 'the isolate finished last');
      assert.equal(sim.isIsolated(id), true);
    });
  });

  describe('machine actions', () => {
    it('answers 404 for a just-created action for a short while', async () => {
      const { id } = sim.addMachine({ isolated: true });
      const created = await api(sim, 'POST', `machines/${id}/unisolate`, { Comment: 'x' });
      assert.equal((await api(sim, 'GET', `machineactions/${created.body.id}`)).status, 404);
      await sleep(350);
      assert.equal((await api(sim, 'GET', `machineactions/${created.body.id}`)).status, 200);
    });
    it('cancels an in-flight action and refuses to cancel a final one', async () => {
      const { id } = sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
      const created = await api(sim, 'POST', `machines/${id}/unisolate`, { Comment: 'x' });
      const cancelled = await api(sim, 'POST', `machineactions/${created.body.id}/cancel`, { Comment: 'withdrawn' });
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, 'Cancelled');
      assert.equal(cancelled.body.cancellationComment, 'withdrawn');
      const again = await api(sim, 'POST', `machineactions/${created.body.id}/cancel`, { Comment: 'again' });
      assert.equal(again.status, 400);
    });
    it('filters on the documented fields only', async () => {
      const refused = await api(sim, 'GET', `machineactions?$filter=${encodeURIComponent("requestorComment eq 'x'")}`);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'ODataError');
      const tooBig = await api(sim, 'GET', 'machineactions?$top=10001');
      assert.equal(tooBig.status, 400);
    });
    it('returns no @odata.nextLink when $top is given', async () => {
      const page = await api(sim, 'GET', 'machineactions?$top=1');
      assert.equal(page.body['@odata.nextLink'], undefined);
      assert.equal(page.body.value.length, 1);
    });
  });

  describe('rate limits per app and tenant', () => {
    it('answers 429 with Retry-After past 100 calls a minute, and frees up as the window slides', async () => {
      // 10x time compression: a simulated minute lasts six real seconds.
      const limited = await startSimulator({ timeScale: 10 });
      try {
        const { id } = limited.addMachine();
        const client = clientFor(limited);
        for (let i = 0; i < 100; i++) await client.getMachine(id);
        const refused = await api(limited, 'GET', `machines/${id}`);
        assert.equal(refused.status, 429);
        assert.equal(refused.body.error.code, 'TooManyRequests');
        const retryAfter = Number(refused.headers.get('retry-after'));
        assert.ok(retryAfter > 0 && retryAfter <= 6, `Retry-After in compressed seconds, got ${retryAfter}`);
        await sleep(retryAfter * 1000 + 50);
        assert.equal((await api(limited, 'GET', `machines/${id}`)).status, 200);
        assert.equal(limited.requests.filter((r) => r.throttled).length, 1);
      } finally {
        await limited.stop();
      }
    });
    it('enforces the hourly budget as well', async () => {
      const limited = await startSimulator({ rateLimits: { perMinute: 1000, perHour: 5 } });
      try {
        const { id } = limited.addMachine();
        const client = clientFor(limited);
        for (let i = 0; i < 5; i++) await client.getMachine(id);
        const refused = await api(limited, 'GET', `machines/${id}`);
        assert.equal(refused.status, 429);
        assert.ok(Number(refused.headers.get('retry-after')) > 3000);
      } finally {
        await limited.stop();
      }
    });
    it('keeps separate budgets per app + tenant', async () => {
      const second = {
        tenantId: 'contoso.onmicrosoft.com',
        clientId: 'app-2',
        clientSecret: 'second-tenant-secret-value',
      };
      const limited = await startSimulator({ apps: [DEFAULT_APP, second], rateLimits: { perMinute: 2, perHour: 100 } });
      try {
        const a = limited.addMachine();
        const b = limited.addMachine({ tenantId: second.tenantId });
        const { tokenSourceFor } = await import('../helpers/simulator.js');
        const clientA = clientFor(limited);
        const clientB = clientFor(limited, { tokens: tokenSourceFor(limited, second) });
        await clientA.getMachine(a.id);
        await clientA.getMachine(a.id);
        await assert.rejects(clientA.getMachine(a.id), /HTTP 429/);
        await clientB.getMachine(b.id);
        await assert.rejects(clientB.getMachine(a.id), /HTTP 404/, "tenants do not see each other's machines");
      } finally {
        await limited.stop();
      }
    });
  });

  describe('OData $filter', () => {
    const action = {
      machineId: 'abc',
      type: 'Unisolate',
      status: 'Pending',
      creationDateTimeUtc: '2026-01-02T00:00:00Z',
      machineTags: ['a', "o'b"],
    };
    const cases: [string, boolean][] = [
      ["machineId eq 'abc'", true],
      ["MachineId eq 'ABC'", true],
      ["machineId eq 'abc' and type eq 'Isolate'", false],
      ["machineId eq 'abc' and (type eq 'Isolate' or type eq 'Unisolate')", true],
      ["type in ('Isolate','Unisolate')", true],
      ["status ne 'Succeeded'", true],
      ['creationDateTimeUtc ge 2026-01-01T00:00:00Z', true],
      ['creationDateTimeUtc gt 2026-01-03T00:00:00.000Z', false],
      ["machineTags/any(t: t eq 'o''b')", true],
      ["not (status eq 'Pending')", false],
    ];
    for (const [filter, expected] of cases) {
      it(`${filter} → ${expected}`, () => assert.equal(matches(parseFilter(filter), action), expected));
    }
    it('rejects malformed filters', () => {
      assert.throws(() => parseFilter("machineId eq 'abc"), /unterminated/);
      assert.throws(() => parseFilter("machineId like 'a'"), /unknown operator/);
      assert.throws(() => parseFilter("(machineId eq 'a'"), /expected/);
    });
  });
});
