/**
 * Nudge payloads: each channel's shape (checked by the same zod schemas the loopback receiver uses), the evidence an
 * approver needs, untrusted text escaped for each renderer and cut to size, and the link to the approvals page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NudgeRequest } from '../../contract/index.js';
import { MAX_FIELD } from '../../activities/nudge/evidence.js';
import { slackEscape, slackPayload } from '../../activities/nudge/slack.js';
import { teamsPayload } from '../../activities/nudge/teams.js';
import { webhookPayload } from '../../activities/nudge/webhook.js';
import { slackShape, teamsShape, webhookShape } from '../helpers/nudge-receiver.js';

const PAGE = 'https://approvals.contoso.com';

const release: NudgeRequest = {
  channel: 'teams',
  subject: 'release',
  tenant: null,
  workflowId: 'release-1e5bc9d7',
  runId: 'run-1',
  requestedBy: 'alice@contoso.com',
  incidentId: 'INC-42',
  comment: 'Clean after re-imaging',
  expiresAt: '2026-12-03T12:00:00.000Z',
  verification: 'required',
  machine: { id: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07', computerDnsName: 'ws-042.contoso.local' },
};

const batch: NudgeRequest = {
  ...release,
  channel: 'webhook',
  subject: 'batch',
  workflowId: 'bulk-7',
  tenant: 'contoso',
  verification: 'off',
  machine: undefined,
  targets: { count: 12, digest: 'sha256:abc' },
};

const hostile: NudgeRequest = {
  ...release,
  comment: `[Approve here](https://evil.test) <!channel> <https://evil.test|click> **now** & ${'x'.repeat(5000)}`,
  machine: { id: 'm1', computerDnsName: '<b>ws</b>_[x](https://evil.test)' },
};

const text = (value: unknown) => JSON.stringify(value);

describe('nudge payloads', () => {
  it('Teams: a Workflows-webhook message with one Adaptive Card 1.4, the evidence and the page link', () => {
    const payload = teamsPayload(release, PAGE);
    teamsShape.parse(payload);
    const card = payload.attachments[0]!.content;
    assert.deepEqual(card.actions, [
      { type: 'Action.OpenUrl', title: 'Open the approvals page', url: `${PAGE}/releases/release-1e5bc9d7` },
    ]);
    for (const evidence of [
      'ws-042.contoso.local',
      'alice@contoso.com',
      'INC-42',
      'Clean after re-imaging',
      'default',
    ]) {
      assert.ok(text(card.body).includes(evidence), evidence);
    }
    assert.doesNotMatch(text(card.body), /NOT VERIFIED/);
  });

  it('Slack: text and blocks, request values in plain_text, the link in mrkdwn', () => {
    const payload = slackPayload(release, PAGE);
    slackShape.parse(payload);
    assert.match(payload.text, /^Release release-1e5bc9d7 for ws-042\.contoso\.local awaits approval: https:/);
    const plain = payload.blocks.flatMap((b) => (b.fields as { type: string; text: string }[] | undefined) ?? []);
    assert.ok(plain.some((f) => f.type === 'plain_text' && f.text === 'Clean after re-imaging'));
    assert.ok(text(payload.blocks).includes(`<${PAGE}/releases/release-1e5bc9d7|Open the approvals page>`));
  });

  it('generic webhook: the documented JSON, values as they are', () => {
    const payload = webhookPayload(release, PAGE);
    webhookShape.parse(payload);
    assert.equal(payload.kind, 'defender-isolation.approval-awaited');
    assert.equal(payload.link, `${PAGE}/releases/release-1e5bc9d7`);
    assert.deepEqual(payload.machine, { id: release.machine!.id, computerDnsName: 'ws-042.contoso.local' });
    assert.equal(payload.verifiedApprovals, true);
  });

  it('a batch: target count and digest; named approvals said loudly; the batch’s own page as its link', () => {
    const teams = teamsPayload(batch, PAGE);
    teamsShape.parse(teams);
    assert.match(text(teams), /NOT VERIFIED/);
    assert.match(text(teams), /sha256:abc/);
    const slack = slackPayload(batch, PAGE);
    slackShape.parse(slack);
    assert.match(text(slack.blocks), /:warning: \*NOT VERIFIED/);
    assert.match(slack.text, /^Batch bulk-7 of 12 machines awaits approval/);
    const webhook = webhookPayload(batch, PAGE);
    webhookShape.parse(webhook);
    assert.deepEqual(webhook.targets, { count: 12, digest: 'sha256:abc' });
    assert.equal(webhook.verifiedApprovals, false);
    assert.equal(webhook.link, `${PAGE}/batches/bulk-7`);
    assert.equal(webhook.tenant, 'contoso');
  });

  it('without a page URL: no link, still valid', () => {
    assert.equal(webhookPayload(release, undefined).link, null);
    const teams = teamsPayload(release, undefined);
    teamsShape.parse(teams);
    assert.equal('actions' in teams.attachments[0]!.content, false);
    slackShape.parse(slackPayload(release, undefined));
  });

  it('escapes what requests write: no link, mention or emphasis from a host name or comment', () => {
    const teams = text(teamsPayload(hostile, PAGE).attachments[0]!.content.body);
    assert.doesNotMatch(teams, /(?<!\\\\)\[Approve here\]/, 'Markdown link escaped for Teams');
    assert.match(teams, /\\\\\[Approve here\\\\\]/);
    assert.match(teams, /\\\\\*\\\\\*now/);
    const slack = slackPayload(hostile, PAGE);
    assert.doesNotMatch(slack.text, /<!channel>|<https:\/\/evil/);
    assert.match(slack.text, /&lt;b&gt;ws&lt;\/b&gt;/);
    const mrkdwn = slack.blocks
      .flatMap((b) => [b.text, ...((b.fields ?? b.elements ?? []) as unknown[])])
      .filter((t): t is { type: string; text: string } => (t as { type?: string } | undefined)?.type === 'mrkdwn');
    for (const t of mrkdwn) assert.doesNotMatch(t.text, /evil|channel/, 'request text never in mrkdwn');
    assert.equal(slackEscape('a<b>&c'), 'a&lt;b&gt;&amp;c');
  });

  it('cuts request values to size, so no nudge outgrows what a webhook accepts', () => {
    for (const payload of [teamsPayload(hostile, PAGE), slackPayload(hostile, PAGE), webhookPayload(hostile, PAGE)]) {
      assert.ok(text(payload).length < 8_000, `${text(payload).length} characters`);
    }
    assert.equal(webhookPayload(hostile, PAGE).comment?.length, MAX_FIELD + 1);
    const long = { ...release, workflowId: 'w'.repeat(2000), machine: { id: 'm', computerDnsName: 'h'.repeat(2000) } };
    const header = slackPayload(long, PAGE).blocks[0] as { text: { text: string } };
    assert.ok(header.text.text.length <= 150);
    slackShape.parse(slackPayload(long, PAGE));
  });
});
