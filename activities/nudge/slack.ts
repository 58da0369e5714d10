/**
 * Slack, through an incoming webhook: `text` (the notification's fallback) and Block Kit blocks. Values taken from a
 * request go into `plain_text` fields, which Slack never formats; the only mrkdwn is ours (labels, the link) and the
 * fallback text, where `&`, `<` and `>` are escaped as Slack documents, so that no request can write a link or a
 * `<!channel>` mention.
 */
import type { NudgeRequest } from '../../contract/index.js';
import { facts, headline, pageLink, verificationText } from './evidence.js';

/** Slack's limits: a header's text, a section's fields. */
const MAX_HEADER = 150;
const MAX_FIELDS = 10;

/** Escapes what Slack's mrkdwn reads as control sequences (https://api.slack.com/reference/surfaces/formatting). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackPayload(nudge: NudgeRequest, pageUrl: string | undefined) {
  const link = pageLink(nudge, pageUrl);
  const title = headline(nudge);
  const list = facts(nudge).filter((f) => f.name !== 'Approvals');
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: cutTo(title, MAX_HEADER), emoji: false } },
  ];
  for (let i = 0; i < list.length; i += MAX_FIELDS / 2) {
    const fields = list.slice(i, i + MAX_FIELDS / 2).flatMap((f) => [
      { type: 'mrkdwn', text: `*${f.name}*` },
      { type: 'plain_text', text: f.value, emoji: false },
    ]);
    blocks.push({ type: 'section', fields });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text:
          nudge.verification === 'off'
            ? `:warning: *${verificationText(nudge)}*`
            : `Approvals: ${verificationText(nudge)}`,
      },
    ],
  });
  if (link) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${link}|Open the approvals page>` } });
  return { text: slackEscape(link ? `${title}: ${link}` : title), blocks };
}

function cutTo(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
