/** The OAuth2 client-credentials token source against the simulator's token endpoint. */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { ClientCredentialsTokenSource } from '../../activities/defender/token.js';
import { DefenderAuthError, DefenderRedirectError } from '../../activities/defender/errors.js';
import { toActivityFailure } from '../../activities/failures.js';
import { DefenderFailureType } from '../../contract/index.js';
import { DEFAULT_APP, type DefenderSimulator } from '../../simulator/index.js';
import { clientFor, startSimulator, tokenSourceFor, USER_AGENT } from '../helpers/simulator.js';

describe('ClientCredentialsTokenSource', () => {
  let sim: DefenderSimulator;
  before(async () => {
    sim = await startSimulator({ rateLimits: false });
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(() => {
    sim.clearRequests();
    sim.clearFaults();
  });
  const tokenRequests = () => sim.requests.filter((r) => r.endpoint === 'token');

  it('posts the client-credentials form to {login}/{tenant}/oauth2/v2.0/token', async () => {
    const token = await tokenSourceFor(sim).getToken();
    assert.ok(sim.issuedTokens().includes(token));
    const [entry] = tokenRequests();
    assert.equal(entry?.path, `/${DEFAULT_APP.tenantId}/oauth2/v2.0/token`);
    assert.equal(entry?.status, 200);
    assert.equal(entry?.clientId, DEFAULT_APP.clientId);
  });

  it('caches the token until expiry minus the skew', async () => {
    let now = 1_000_000;
    const source = new ClientCredentialsTokenSource({
      loginUrl: sim.url,
      tenantId: DEFAULT_APP.tenantId,
      clientId: DEFAULT_APP.clientId,
      clientSecret: DEFAULT_APP.clientSecret,
      userAgent: USER_AGENT,
      expirySkewMs: 60_000,
      now: () => now,
    });
    const first = await source.getToken();
    now += 3_599_000 - 60_001; // just before expiry - skew
    assert.equal(await source.getToken(), first);
    assert.equal(tokenRequests().length, 1);
    now += 2; // past it
    const second = await source.getToken();
    assert.notEqual(second, first);
    assert.equal(tokenRequests().length, 2);
  });

  it('shares one in-flight token request between concurrent callers', async () => {
    sim.addFault({ match: { endpoint: 'token' }, fault: { kind: 'delay', ms: 200 }, times: 1 });
    const source = tokenSourceFor(sim);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => source.getToken()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(tokenRequests().length, 1);
  });

  it('refreshes once when a token is rejected, however many callers report it', async () => {
    const source = tokenSourceFor(sim);
    const old = await source.getToken();
    const refreshed = await Promise.all(Array.from({ length: 5 }, () => source.getToken({ rejected: old })));
    assert.equal(new Set(refreshed).size, 1);
    assert.notEqual(refreshed[0], old);
    assert.equal(tokenRequests().length, 2);
  });

  it('concurrent API calls after a revocation refresh the token once', async () => {
    const { id } = sim.addMachine();
    const client = clientFor(sim);
    await client.getMachine(id);
    sim.revokeTokens();
    sim.clearRequests();
    await Promise.all(Array.from({ length: 5 }, () => client.getMachine(id)));
    assert.equal(tokenRequests().length, 1);
  });

  it('a failed token request is not cached', async () => {
    sim.addFault({ match: { endpoint: 'token' }, fault: { kind: 'status', status: 503 }, times: 1 });
    const source = tokenSourceFor(sim);
    await assert.rejects(source.getToken());
    assert.ok(await source.getToken());
  });

  it("surfaces Entra's refusal without the secret", async () => {
    const source = tokenSourceFor(sim, DEFAULT_APP, { clientSecret: 'rotated-away-secret' });
    const err = await source.getToken().catch((e: unknown) => e);
    assert.ok(err instanceof DefenderAuthError);
    assert.equal(err.status, 401);
    assert.equal(err.code, 'invalid_client');
    assert.doesNotMatch(err.message, /rotated-away-secret/);
  });

  it('a token for another audience is issued but refused by the API with 403, as in the field', async () => {
    const { id } = sim.addMachine();
    const client = clientFor(sim, {
      tokens: tokenSourceFor(sim, DEFAULT_APP, { scope: 'https://api.security.microsoft.com/.default' }),
    });
    await assert.rejects(client.getMachine(id), /HTTP 403 \(Forbidden/);
  });

  it('refuses configuration that would leak the secret', () => {
    const base = { tenantId: DEFAULT_APP.tenantId, clientId: 'c', clientSecret: 's', userAgent: 'u' };
    assert.throws(
      () => new ClientCredentialsTokenSource({ ...base, loginUrl: 'http://login.microsoftonline.com' }),
      /https/,
    );
    assert.throws(() => new ClientCredentialsTokenSource({ ...base, loginUrl: sim.url, tenantId: '../x' }), /tenant/);
    assert.throws(
      () => new ClientCredentialsTokenSource({ ...base, loginUrl: sim.url, clientSecret: '' }),
      /secret is empty/,
    );
  });
});

describe('a redirect on the token endpoint', () => {
  const SECRET = 'client-secret-Xy7~never-twice';
  const TENANT = '11111111-1111-4111-8111-111111111111';

  /** A loopback login endpoint that answers every request with `answer`, recording what it was sent. */
  async function loginServer(answer: (req: IncomingMessage, res: ServerResponse) => void) {
    const seen: { path: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', body });
        answer(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const source = new ClientCredentialsTokenSource({
      loginUrl: url,
      tenantId: TENANT,
      clientId: 'c-1',
      clientSecret: SECRET,
      userAgent: USER_AGENT,
    });
    return { seen, source, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  async function refusal(source: ClientCredentialsTokenSource): Promise<ApplicationFailure> {
    const err = await source.getToken().then(
      () => assert.fail('a token was issued'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DefenderRedirectError, String(err));
    const failure = toActivityFailure(err);
    assert.ok(failure instanceof ApplicationFailure);
    return failure;
  }

  for (const status of [301, 302, 303, 307, 308]) {
    it(`a same-origin loop (${status}) fails at once, non-retryably, and the secret is sent once`, async () => {
      const login = await loginServer((req, res) =>
        res.writeHead(status, { location: `${req.url}?loop=leak-marker-q1` }).end(),
      );
      try {
        const failure = await refusal(login.source);
        assert.equal(failure.type, DefenderFailureType.RedirectRefused);
        assert.equal(failure.nonRetryable, true);
        assert.match(failure.message, /Defender token answered HTTP \d+ \(a redirect\), refused/);
        assert.match(failure.message, /redirects are never followed/);
        assert.doesNotMatch(JSON.stringify([failure.message, failure.details]), /leak-marker|never-twice/);
        assert.equal(login.seen.length, 1, 'one request, not one per hop');
        assert.equal(login.seen.filter((r) => new URLSearchParams(r.body).get('client_secret') === SECRET).length, 1);
      } finally {
        await login.close();
      }
    });
  }

  it('a redirect to another path of the same origin is not followed: the secret never reaches it', async () => {
    const login = await loginServer((req, res) => {
      if (req.url?.startsWith('/collect')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(307, { location: '/collect' }).end();
    });
    try {
      await refusal(login.source);
      assert.deepEqual(
        login.seen.map((r) => r.path),
        [`/${TENANT}/oauth2/v2.0/token`],
      );
    } finally {
      await login.close();
    }
  });
});
