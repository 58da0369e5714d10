/**
 * Nudges end to end (issue 17): the dev server, the simulator, a real worker whose default tenant has all three
 * channels pointed at a loopback receiver (webhook URLs with a secret token in their path). A release awaiting
 * approval reaches each channel exactly once with a valid payload, its evidence and the page link; a webhook failing
 * twice with 500 gets it on the third attempt; a 404 is tried once; the release never waits on any of it; and no
 * webhook URL or token is in the workflow's history.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { approveRelease } from '../../client/release-client.js';
import type { NudgeChannel } from '../../contract/index.js';
import { NUDGE_URL_TOKEN, NudgeReceiver } from '../helpers/nudge-receiver.js';
import { credentialsFor, startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';

const PAGE = 'https://approvals.contoso.com';
const CHANNELS: NudgeChannel[] = ['teams', 'slack', 'webhook'];

describe('nudges end to end: a real worker, a loopback receiver', () => {
  let h: ReleaseHarness;
  const receiver = new NudgeReceiver();

  before(async () => {
    await receiver.start();
    h = await startReleaseHarness('nudge', {}, undefined, (sim) => ({
      tenants: {
        default: {
          credentials: credentialsFor(sim),
          rateBudget: { perMinute: 6000, perHour: 360_000 },
          nudge: Object.fromEntries(CHANNELS.map((c) => [c, receiver.url(c)])),
        },
      },
      nudge: { ratePerSecond: 50, pageUrl: PAGE },
    }));
  });
  after(async () => {
    await h?.stop();
    await receiver.stop();
  });

  /** The history as JSON, checked to hold no webhook URL or token. */
  async function assertNoUrlInHistory(handle: WorkflowHandle): Promise<void> {
    const history = JSON.stringify(await handle.fetchHistory(), (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
    );
    assert.ok(history.includes('postNudge'), 'the history is the nudging one');
    assert.ok(!history.includes(NUDGE_URL_TOKEN), 'no webhook token in the history');
    assert.ok(!history.includes(receiver.url('webhook').split('/webhook/')[0]!), "no receiver's address either");
  }

  it('a release awaiting approval: each channel receives exactly one valid payload with the evidence and link', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({ machineId: machine.id, incidentId: 'INC-7' });
    const status = await h.waitForState(workflowId, 'awaiting-approval');
    await receiver.until(() => CHANNELS.every((c) => receiver.of(c, workflowId).length >= 1));
    await sleep(1_500); // long enough for a duplicate to show
    for (const channel of CHANNELS) {
      const got = receiver.of(channel, workflowId);
      assert.equal(got.length, 1, `${channel}: ${JSON.stringify(receiver.summary())}`);
      assert.equal(got[0]!.problem, undefined, `${channel} payload shape: ${got[0]!.problem}`);
      const body = JSON.stringify(got[0]!.body);
      assert.ok(body.includes(`${PAGE}/releases/${encodeURIComponent(workflowId)}`), `${channel}: the link`);
      for (const evidence of [machine.id, 'alice@contoso.com', 'INC-7', 'Clean after re-imaging']) {
        assert.ok(body.includes(evidence), `${channel}: ${evidence}`);
      }
    }
    const webhook = receiver.of('webhook', workflowId)[0]!.body as Record<string, unknown>;
    assert.equal(webhook.expiresAt, status.approval.expiresAt);
    assert.equal(webhook.verifiedApprovals, false);
    await approveRelease(h.client, workflowId, { approver: 'bob@contoso.com' });
    assert.equal((await handle.result()).outcome, 'released');
    for (const channel of CHANNELS) assert.equal(receiver.of(channel, workflowId).length, 1);
    await assertNoUrlInHistory(handle);
  });

  it('500 twice then OK: delivered on the third attempt; 404: tried once; the release is unaffected', async () => {
    receiver.answer('webhook', 500, 2);
    receiver.answer('slack', 404, 1);
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({ machineId: machine.id });
    await h.waitForState(workflowId, 'awaiting-approval');
    // Backoff 5 s then 10 s: the third attempt comes about 15 s after the first.
    await receiver.until(() => receiver.of('webhook', workflowId).length >= 3, 40_000);
    const webhook = receiver.of('webhook', workflowId).map((r) => r.status);
    assert.deepEqual(webhook, [500, 500, 200]);
    assert.deepEqual(
      receiver.of('slack', workflowId).map((r) => r.status),
      [404],
      'a revoked webhook is not tried again',
    );
    assert.deepEqual(
      receiver.of('teams', workflowId).map((r) => r.status),
      [200],
    );
    assert.equal((await h.waitForState(workflowId, 'awaiting-approval', 1_000)).state, 'awaiting-approval');
    await approveRelease(h.client, workflowId, { approver: 'bob@contoso.com' });
    assert.equal((await handle.result()).outcome, 'released');
    await assertNoUrlInHistory(handle);
    const { events } = await handle.fetchHistory();
    const failed = (events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
    assert.equal(failed.length, 1, 'only the 404 failed the activity; the 500s were retried attempts');
    const message = failed[0]!.activityTaskFailedEventAttributes!.failure?.message ?? '';
    assert.match(message, /slack webhook answered HTTP 404/);
  });
});
