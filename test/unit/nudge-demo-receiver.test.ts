/**
 * The demo receiver `npm start` runs when no nudge channel is configured: it takes each of the three shapes the nudge
 * activity posts and prints one line per nudge, with the request's text made harmless for a terminal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { NudgeRequest } from '../../contract/index.js';
import { createNudgeActivities } from '../../activities/nudge/index.js';
import { startDemoNudges, startNudgeReceiver, type NudgeReceiver } from '../../dev/nudge-receiver.js';
import { loadConfig } from '../../worker/config.js';

const nudge: NudgeRequest = {
  channel: 'webhook',
  subject: 'release',
  tenant: null,
  workflowId: 'release-1e5bc9d7',
  runId: 'run-1',
  requestedBy: 'alice@contoso.com',
  incidentId: null,
  comment: 'Clean after re-imaging',
  expiresAt: '2026-12-03T12:00:00.000Z',
  verification: 'off',
  machine: { id: '1e5bc9d7', computerDnsName: 'ws-042.contoso.local\u001b[2J' },
};

describe('the demo nudge receiver', () => {
  const lines: string[] = [];
  let receiver: NudgeReceiver;
  before(async () => {
    receiver = await startNudgeReceiver({ print: (line) => lines.push(line) });
  });
  after(() => receiver.close());

  it('prints one line per nudge, in each of the three shapes', async () => {
    const urls = { default: { teams: receiver.url, slack: receiver.url, webhook: receiver.url } };
    const { postNudge } = createNudgeActivities({ urls, pageUrl: 'http://127.0.0.1:8091' });
    for (const channel of ['webhook', 'teams', 'slack'] as const) {
      await new MockActivityEnvironment().run(postNudge, { ...nudge, channel });
    }
    const link = 'http://127.0.0.1:8091/releases/release-1e5bc9d7';
    assert.deepEqual(lines, [
      `Nudge: release release-1e5bc9d7 for ws-042.contoso.local [2J awaits approval — ${link}`,
      `Nudge: release release-1e5bc9d7 for ws-042.contoso.local [2J awaits approval (Teams) — ${link}`,
      `Nudge: release release-1e5bc9d7 for ws-042.contoso.local [2J awaits approval (Slack) — ${link}`,
    ]);
  });

  it('refuses what is not a nudge', async () => {
    const response = await fetch(receiver.url, { method: 'POST', body: '{"hello":1}' });
    assert.equal(response.status, 400);
  });

  it('npm start points the default tenant at it only when no channel is configured', async () => {
    const config = loadConfig({});
    const stop = await startDemoNudges(config, true);
    try {
      assert.match(config.nudge.urls.webhook ?? '', /^http:\/\/127\.0\.0\.1:\d+\/nudges$/);
    } finally {
      await stop();
    }
    const configured = loadConfig({ NUDGE_SLACK_URL: 'https://hooks.slack.com/services/x' });
    await (
      await startDemoNudges(configured, true)
    )();
    assert.deepEqual(configured.nudge.urls, { slack: 'https://hooks.slack.com/services/x' });
    const noDefault = loadConfig({});
    await (
      await startDemoNudges(noDefault, false)
    )();
    assert.deepEqual(noDefault.nudge.urls, {});
  });
});
