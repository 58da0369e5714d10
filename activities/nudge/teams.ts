/**
 * Microsoft Teams, through a Workflows webhook ("Post to a channel when a webhook request is received"): the message
 * envelope with one Adaptive Card 1.4 attachment. Teams renders a subset of Markdown in TextBlocks and fact values, so
 * every value taken from a request is escaped (contract/markdown.ts): a host named `[Approve](https://evil)` reads
 * as that text, not as a link.
 */
import { markdownText } from '../../contract/markdown.js';
import type { NudgeRequest } from '../../contract/index.js';
import { facts, headline, pageLink } from './evidence.js';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

export function teamsPayload(nudge: NudgeRequest, pageUrl: string | undefined) {
  const link = pageLink(nudge, pageUrl);
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: markdownText(headline(nudge)), weight: 'Bolder', size: 'Medium', wrap: true },
  ];
  if (nudge.verification === 'off') {
    body.push({
      type: 'TextBlock',
      text: 'Approvals are NOT VERIFIED for this tenant: decisions are named, not signed.',
      color: 'Attention',
      weight: 'Bolder',
      wrap: true,
    });
  }
  body.push({
    type: 'FactSet',
    facts: facts(nudge).map((f) => ({ title: f.name, value: markdownText(f.value) })),
  });
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD,
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open the approvals page', url: link }] } : {}),
        },
      },
    ],
  };
}
