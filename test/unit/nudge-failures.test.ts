/**
 * How every outcome of a nudge's post maps to a Temporal failure, in one place: retryable (network, timeout, 408,
 * 429 with its Retry-After, 5xx) or not (other 4xx, 3xx, no URL configured), with stable types. The webhook URL, a
 * secret, appears in no failure's message or details.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NudgeFailureType, type NudgeRequest } from '../../contract/index.js';
import { answerFailure } from '../../activities/nudge/failures.js';
import { createNudgeActivities } from '../../activities/nudge/index.js';

const TOKEN = 'sig=NUDGE-SECRET-3f9a2c';

const nudge: NudgeRequest = {
  channel: 'webhook',
  subject: 'release',
  tenant: null,
  workflowId: 'release-x',
  runId: 'run-1',
  requestedBy: 'alice@contoso.com',
  incidentId: null,
  comment: 'c',
  expiresAt: '2026-12-03T12:00:00.000Z',
  verification: 'off',
  machine: { id: 'm1', computerDnsName: null },
};

describe('nudge outcomes', () => {
  it('maps each status to retryable or not, with a stable type', () => {
    const cases: [number, string | undefined, boolean][] = [
      [200, undefined, false],
      [202, undefined, false],
      [500, NudgeFailureType.ServerError, false],
      [502, NudgeFailureType.ServerError, false],
      [503, NudgeFailureType.ServerError, false],
      [408, NudgeFailureType.ServerError, false],
      [429, NudgeFailureType.RateLimited, false],
      [400, NudgeFailureType.Refused, true],
      [401, NudgeFailureType.Refused, true],
      [403, NudgeFailureType.Refused, true],
      [404, NudgeFailureType.Refused, true],
      [410, NudgeFailureType.Refused, true],
      [302, NudgeFailureType.Refused, true],
    ];
    for (const [status, type, nonRetryable] of cases) {
      const failure = answerFailure('teams', status);
      assert.equal(failure?.type, type, String(status));
      if (failure) assert.equal(failure.nonRetryable, nonRetryable, String(status));
    }
  });

  it('a 429 waits its Retry-After (bounded), or a default', () => {
    assert.equal(answerFailure('slack', 429, '7')?.nextRetryDelay, 7000);
    assert.equal(answerFailure('slack', 429, '999999')?.nextRetryDelay, 10 * 60_000);
    assert.equal(answerFailure('slack', 429)?.nextRetryDelay, 30_000);
  });

  describe('the activity against a loopback server', () => {
    let port = 0;
    let status = 200;
    const server = createServer((req, res) => {
      req.resume();
      if (status === 0) {
        req.socket.destroy();
        return;
      }
      res.writeHead(status, status === 302 ? { location: 'https://elsewhere.test/' } : {}).end();
    });
    before(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise((resolve) => server.close(resolve)));

    const post = (urls = { default: { webhook: `http://127.0.0.1:${port}/hook/${TOKEN}` } }) =>
      new MockActivityEnvironment().run(createNudgeActivities({ urls, requestTimeoutMs: 2000 }).postNudge, nudge);

    async function failureOf(run: Promise<unknown>): Promise<ApplicationFailure> {
      const err = await run.then(
        () => assert.fail('expected a failure'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApplicationFailure, String(err));
      const shown = JSON.stringify({ message: err.message, details: err.details, stack: err.stack });
      assert.doesNotMatch(shown, /NUDGE-SECRET|\/hook\//, 'the URL is never in a failure');
      return err;
    }

    it('posts, and a 2xx is success', async () => {
      status = 200;
      await post();
    });

    it('404 is refused (not retried), 503 retried, a redirect not followed; no URL in any of them', async () => {
      for (const [answer, type] of [
        [404, NudgeFailureType.Refused],
        [403, NudgeFailureType.Refused],
        [503, NudgeFailureType.ServerError],
        [302, NudgeFailureType.Refused],
      ] as const) {
        status = answer;
        assert.equal((await failureOf(post())).type, type);
      }
    });

    it('a reset connection or a closed port is a retryable network error, without the URL', async () => {
      status = 0;
      const reset = await failureOf(post());
      assert.equal(reset.type, NudgeFailureType.NetworkError);
      assert.equal(reset.nonRetryable, false);
      const closed = await failureOf(post({ default: { webhook: `http://127.0.0.1:1/hook/${TOKEN}` } }));
      assert.equal(closed.type, NudgeFailureType.NetworkError);
    });

    it('a tenant or channel without a URL on this worker is not retried', async () => {
      const failure = await failureOf(post({ default: {} } as never));
      assert.equal(failure.type, NudgeFailureType.NotConfigured);
      assert.equal(failure.nonRetryable, true);
      const proto = await failureOf(
        new MockActivityEnvironment().run(createNudgeActivities({ urls: {} }).postNudge, {
          ...nudge,
          tenant: '__proto__',
          channel: 'constructor' as never,
        }),
      );
      assert.equal(proto.type, NudgeFailureType.NotConfigured);
    });
  });
});
