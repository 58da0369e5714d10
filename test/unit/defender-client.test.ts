/** The Defender client against the simulator over real HTTP: bodies, paging, filters, ids, base URLs. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DEFENDER_CLOUDS, DEFAULT_SCOPE, parseBaseUrl } from '../../activities/defender/cloud.js';
import { DefenderClient } from '../../activities/defender/client.js';
import { InvalidArgumentError, parseMachineActionId, parseMachineId } from '../../activities/defender/ids.js';
import { odata } from '../../activities/defender/odata.js';
import { compareTimes } from '../../activities/defender-time.js';
import type { DefenderSimulator } from '../../simulator/index.js';
import { clientFor, startSimulator } from '../helpers/simulator.js';

describe('DefenderClient', () => {
  let sim: DefenderSimulator;
  let client: DefenderClient;

  before(async () => {
    sim = await startSimulator({ rateLimits: false });
    client = clientFor(sim);
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(() => {
    sim.clearRequests();
    sim.clearFaults();
  });

  it('gets a machine, normalising an upper-case id', async () => {
    const { id } = sim.addMachine({ computerDnsName: 'ws-1.contoso.com', machineTags: ['finance'] });
    const machine = await client.getMachine(id.toUpperCase());
    assert.equal(machine.id, id);
    assert.equal(machine.computerDnsName, 'ws-1.contoso.com');
    assert.equal(sim.requests.at(-1)?.path, `/api/machines/${id}`);
  });

  it('unisolates with exactly {"Comment": ...} and returns the machine action', async () => {
    const { id } = sim.addMachine({ isolated: true });
    const action = await client.unisolateMachine({ machineId: id, comment: 'Clean after re-imaging' });
    assert.equal(action.type, 'Unisolate');
    assert.equal(action.status, 'Pending');
    assert.equal(action.machineId, id);
    assert.equal(action.requestorComment, 'Clean after re-imaging');
    const entry = sim.requests.find((r) => r.endpoint === 'unisolateMachine');
    assert.equal(entry?.status, 201);
    assert.equal(entry?.comment, 'Clean after re-imaging');
  });

  it('isolates with IsolationType', async () => {
    const { id } = sim.addMachine();
    const action = await client.isolateMachine({ machineId: id, comment: 'contain', isolationType: 'Selective' });
    assert.equal(action.type, 'Isolate');
    assert.equal(sim.machineActions(id).find((a) => a.id === action.id)?.scope, 'Selective');
  });

  it('gets a machine action and follows it to its final status', async () => {
    const { id } = sim.addMachine({ isolated: true, behavior: { pendingMs: 50, inProgressMs: 50 } });
    const created = await client.unisolateMachine({ machineId: id, comment: 'x' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const done = await client.getMachineAction(created.id);
    assert.equal(done.status, 'Succeeded');
    assert.ok(done.lastUpdateDateTimeUtc);
  });

  it('accepts the legacy lastUpdateTimeUtc field name', async () => {
    const { machineActionSchema } = await import('../../activities/defender/schemas.js');
    const parsed = machineActionSchema.parse({
      id: '09a0f91e-a2eb-409d-af33-5577fe9bd558',
      type: 'Unisolate',
      status: 'InProgress',
      creationDateTimeUtc: '2018-12-04T12:13:15.0104931Z',
      lastUpdateTimeUtc: '2018-12-04T12:13:15.0104931Z',
    });
    assert.equal(parsed.lastUpdateDateTimeUtc, '2018-12-04T12:13:15.0104931Z');
  });

  it('keeps unknown action types and statuses (open enums)', async () => {
    const { machineActionSchema } = await import('../../activities/defender/schemas.js');
    const parsed = machineActionSchema.parse({
      id: '09a0f91e-a2eb-409d-af33-5577fe9bd558',
      type: 'ContainUser',
      status: 'Queued',
      creationDateTimeUtc: '2026-01-01T00:00:00Z',
    });
    assert.equal(parsed.type, 'ContainUser');
    assert.equal(parsed.status, 'Queued');
  });

  it('cancels a pending machine action with a comment', async () => {
    const { id } = sim.addMachine({ isolated: true, behavior: { stuckPending: true } });
    const created = await client.unisolateMachine({ machineId: id, comment: 'x' });
    const cancelled = await client.cancelMachineAction({ actionId: created.id, comment: 'Release withdrawn' });
    assert.equal(cancelled.status, 'Cancelled');
    assert.equal(sim.machineActions(id).find((a) => a.id === created.id)?.cancellationComment, 'Release withdrawn');
  });

  it('lists machine actions with $filter', async () => {
    const { id } = sim.addMachine({ isolated: true });
    const other = sim.addMachine({ isolated: true });
    await client.unisolateMachine({ machineId: id, comment: 'x' });
    const actions = await client.listMachineActions({
      filter: odata.and(odata.eq('machineId', id), odata.anyOf('type', ['Isolate', 'Unisolate'])),
    });
    assert.deepEqual(actions.map((a) => a.type).sort(), ['Isolate', 'Unisolate']);
    assert.ok(actions.every((a) => a.machineId === id && a.machineId !== other.id));
    const query = sim.requests.at(-1)?.query.$filter;
    assert.equal(query, `(machineId eq '${id}') and ((type eq 'Isolate') or (type eq 'Unisolate'))`);
  });

  it('pages with $top/$skip until a short page, ignoring @odata.nextLink', async () => {
    const tag = `page-${Date.now()}`;
    const ids = Array.from({ length: 25 }, () => sim.addMachine({ machineTags: [tag] }).id);
    for (const id of ids) await client.isolateMachine({ machineId: id, comment: tag, isolationType: 'Full' });
    sim.clearRequests();
    const since = new Date(Date.now() - 60_000);
    const all = await client.listAllMachineActions({
      filter: odata.and(odata.eq('type', 'Isolate'), odata.since('creationDateTimeUtc', since)),
      pageSize: 10,
    });
    const ours = all.filter((a) => ids.includes(a.machineId ?? ''));
    assert.equal(ours.length, 25);
    assert.equal(new Set(all.map((a) => a.id)).size, all.length, 'no action twice');
    const pages = sim.requests.filter((r) => r.endpoint === 'listMachineActions');
    assert.deepEqual(
      pages.map((r) => [r.query.$top, r.query.$skip]),
      [
        ['10', undefined],
        ['10', '10'],
        ['10', '20'],
      ].slice(0, pages.length),
    );
    assert.ok(pages.length >= 3);
  });

  it('escapes quotes in OData values', () => {
    assert.equal(odata.eq('requestor', "o'brien@contoso.com"), "requestor eq 'o''brien@contoso.com'");
    assert.throws(() => odata.eq('type) or (1', 'x'), /not an OData field name/);
  });

  describe('path-injection guard: nothing unvalidated reaches a URL', () => {
    const badMachineIds = [
      '../machineactions',
      '..%2F..%2Fmachineactions',
      '1e5bc9d7e413ddd7902c2932e418702b84d0cc0', // 39
      '1e5bc9d7e413ddd7902c2932e418702b84d0cc077', // 41
      '1e5bc9d7e413ddd7902c2932e418702b84d0ccg7', // non-hex
      ' 1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
      '1e5bc9d7e413ddd7902c2932e418702b84d0cc07\n',
      '1e5bc9d7e413ddd7902c2932e418702b84d0cc07/isolate',
      '1e5bc9d7e413ddd7902c2932e418702b84d0cc07?x=1',
      '',
    ];
    for (const bad of badMachineIds) {
      it(`refuses machine id ${JSON.stringify(bad)}`, async () => {
        await assert.rejects(client.unisolateMachine({ machineId: bad, comment: 'x' }), InvalidArgumentError);
        await assert.rejects(client.getMachine(bad), InvalidArgumentError);
        assert.equal(sim.requests.length, 0);
      });
    }
    it('refuses non-string ids', () => {
      assert.throws(() => parseMachineId(42), /got a number/);
      assert.throws(() => parseMachineId(null), /got a null/);
    });
    for (const bad of ['../machines', 'not-a-guid', '09a0f91e-a2eb-409d-af33-5577fe9bd558/cancel']) {
      it(`refuses machine action id ${JSON.stringify(bad)}`, async () => {
        await assert.rejects(client.getMachineAction(bad), InvalidArgumentError);
        await assert.rejects(client.cancelMachineAction({ actionId: bad, comment: 'x' }), InvalidArgumentError);
        assert.equal(sim.requests.length, 0);
      });
    }
    it('normalises valid ids to lower case', () => {
      assert.equal(
        parseMachineId('1E5BC9D7E413DDD7902C2932E418702B84D0CC07'),
        '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
      );
      assert.equal(
        parseMachineActionId('09A0F91E-A2EB-409D-AF33-5577FE9BD558'),
        '09a0f91e-a2eb-409d-af33-5577fe9bd558',
      );
    });
    it('refuses an empty comment before sending', async () => {
      const { id } = sim.addMachine({ isolated: true });
      await assert.rejects(client.unisolateMachine({ machineId: id, comment: '  ' }), /non-empty comment/);
      assert.equal(sim.requests.length, 0);
    });
  });

  describe('base URLs', () => {
    it('has https presets for the commercial, geo and government clouds', () => {
      for (const [name, cloud] of Object.entries(DEFENDER_CLOUDS)) {
        assert.equal(parseBaseUrl(cloud.apiUrl, name).protocol, 'https:');
        assert.equal(parseBaseUrl(cloud.loginUrl, name).protocol, 'https:');
      }
      assert.equal(DEFENDER_CLOUDS['gcc-high'].loginUrl, 'https://login.microsoftonline.us');
      assert.equal(DEFENDER_CLOUDS.gcc.loginUrl, 'https://login.microsoftonline.com');
      assert.equal(DEFENDER_CLOUDS.eu.apiUrl, 'https://eu.api.security.microsoft.com');
    });
    it('requires https except on loopback hosts', () => {
      assert.throws(() => parseBaseUrl('http://api.securitycenter.microsoft.com', 'api'), /must use https/);
      assert.throws(() => parseBaseUrl('http://10.0.0.5:8089', 'api'), /must use https/);
      assert.throws(() => parseBaseUrl('ftp://example.com', 'api'), /must use https/);
      assert.throws(() => parseBaseUrl('https://user:pw@example.com', 'api'), /credentials/);
      for (const ok of ['http://127.0.0.1:8089', 'http://localhost:1', 'http://[::1]:2', 'https://example.com']) {
        assert.ok(parseBaseUrl(ok, 'api'));
      }
      assert.throws(
        () =>
          new DefenderClient({ apiUrl: 'http://example.com', tokens: { getToken: async () => 't' }, userAgent: 'x' }),
        /must use https/,
      );
    });
    it('asks for the securitycenter audience whatever API host is used', async () => {
      assert.equal(DEFAULT_SCOPE, 'https://api.securitycenter.microsoft.com/.default');
      const { id } = sim.addMachine();
      await clientFor(sim).getMachine(id);
      assert.equal(sim.requests.find((r) => r.endpoint === 'token')?.scope, DEFAULT_SCOPE);
    });
  });

  it('sends a user-agent and never a token in the URL', async () => {
    const { id } = sim.addMachine();
    const seen: string[] = [];
    const spy = createServer((req, res) => {
      seen.push(`${req.headers['user-agent']} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
    });
    await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (spy.address() as { port: number }).port;
      const c = new DefenderClient({
        apiUrl: `http://127.0.0.1:${port}`,
        tokens: { getToken: async () => 'secret-token' },
        userAgent: 'ua/1',
      });
      await c.getMachine(id);
      assert.deepEqual(seen, [`ua/1 /api/machines/${id}`]);
    } finally {
      spy.close();
    }
  });

  describe('answers as Defender really gives them', () => {
    it('a list of machines with nothing to list is answered 404 (documented): an empty page', async () => {
      const page = await client.listMachines({ filter: odata.contains('machineTags', `none-${Date.now()}`) });
      assert.deepEqual(page, []);
      assert.equal(sim.requests.at(-1)?.status, 404);
    });

    it('a machine whose rbacGroupId is a string (the documented type) reads like any other', async () => {
      const { id } = sim.addMachine({ rbacGroupId: '140', rbacGroupName: 'Kiosks' });
      const machine = await client.getMachine(id);
      assert.equal(machine.rbacGroupName, 'Kiosks');
      const [listed] = await client.listMachines({ filter: odata.eqNumber('rbacGroupId', 140) });
      assert.equal(listed?.id, id);
    });

    it('fields the releases do not read may be anything; a read field of another type reads as null', async () => {
      const odd = createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'a'.repeat(40),
            computerDnsName: 42,
            rbacGroupId: { nested: true },
            ipAddresses: [{ ipAddress: '10.0.0.1' }],
            vmMetadata: null,
            isPotentialDuplication: false,
          }),
        ),
      );
      await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
      try {
        const port = (odd.address() as AddressInfo).port;
        const c = new DefenderClient({
          apiUrl: `http://127.0.0.1:${port}`,
          tokens: { getToken: async () => 't' },
          userAgent: 't',
        });
        const machine = await c.getMachine('a'.repeat(40));
        assert.deepEqual([machine.id, machine.computerDnsName], ['a'.repeat(40), null]);
      } finally {
        odd.close();
      }
    });

    it('timestamps carry 7 fractional digits, and two actions under a millisecond apart keep their order', async () => {
      const { id } = sim.addMachine({ isolated: true });
      const first = await client.unisolateMachine({ machineId: id, comment: 'x' });
      assert.match(first.creationDateTimeUtc, /\.\d{7}Z$/);
      const [a, b] = ['2026-12-02T05:00:00.1234560Z', '2026-12-02T05:00:00.1234566Z'];
      assert.equal(Date.parse(a), Date.parse(b), 'the same to the millisecond');
      assert.ok(compareTimes(a, b) < 0);
      assert.ok(compareTimes('2026-12-02T05:00:00.12Z', '2026-12-02T05:00:00.1199999Z') > 0);
    });
  });
});
