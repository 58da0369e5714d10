/**
 * The nudge activity: builds the channel's message from the evidence the workflow passes and posts it to the URL this
 * worker holds for the tenant and channel. The URL is looked up here, never passed in: it must not reach the
 * workflow's input, history or errors.
 */
import { cancellationSignal, log } from '@temporalio/activity';
import { DEFAULT_TENANT, NUDGE_CHANNELS, type NudgeChannel, type NudgeRequest } from '../../contract/index.js';
import { notConfigured } from './failures.js';
import { postJson } from './post.js';
import { slackPayload } from './slack.js';
import { teamsPayload } from './teams.js';
import { webhookPayload } from './webhook.js';

/** Per tenant (`default` for the DEFENDER_* one), the webhook URL of each configured channel. Secrets. */
export type NudgeUrls = Readonly<Record<string, Readonly<Partial<Record<NudgeChannel, string>>>>>;

export interface NudgeDeps {
  urls: NudgeUrls;
  /** The approvals page's origin, for the link; absent: nudges carry no link. */
  pageUrl?: string | undefined;
  /** Per post; keep it below the activity's start-to-close timeout (30 s). Default 10 s. */
  requestTimeoutMs?: number;
}

const BUILDERS = { teams: teamsPayload, slack: slackPayload, webhook: webhookPayload } as const;

/** The channel names a tenant has, in a stable order: what validation tells the workflow (never the URLs). */
export function nudgeChannelsOf(urls: NudgeUrls | undefined, tenant: string): NudgeChannel[] {
  const configured = urls?.[tenant];
  return configured ? NUDGE_CHANNELS.filter((c) => configured[c] !== undefined) : [];
}

export function createNudgeActivities(deps: NudgeDeps) {
  return {
    async postNudge(nudge: NudgeRequest): Promise<void> {
      const tenant = nudge.tenant ?? DEFAULT_TENANT;
      const url = Object.hasOwn(deps.urls, tenant) ? deps.urls[tenant]?.[nudge.channel] : undefined;
      const build = Object.hasOwn(BUILDERS, nudge.channel) ? BUILDERS[nudge.channel] : undefined;
      if (!url || !build) throw notConfigured(nudge.channel, nudge.tenant);
      await postJson(nudge.channel, url, build(nudge, deps.pageUrl), {
        timeoutMs: deps.requestTimeoutMs ?? 10_000,
        signal: cancellationSignal(),
      });
      log.info('Nudge posted', { channel: nudge.channel, subject: nudge.subject, tenant });
    },
  };
}

export type NudgeActivities = ReturnType<typeof createNudgeActivities>;
