import { z } from 'zod';
import { isLoopbackHost } from '../activities/defender/cloud.js';
import { NUDGE_CHANNELS, type NudgeChannel } from '../contract/index.js';

/**
 * Where nudges go: per tenant, a webhook URL per channel. A webhook URL is a secret (whoever holds it may post to the
 * channel, and Teams and Slack put the key in the URL itself), so it is checked here without ever being printed, and
 * it reaches nothing but the nudge activity.
 */

export type NudgeChannelUrls = Partial<Record<NudgeChannel, string>>;

export const NUDGE_URL_RULE = 'must be an https URL (http only on loopback) without user or password';

/** https (the message and the URL's key travel in it), or http to a loopback receiver (tests, the demo). */
export function isNudgeUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.username || url.password) return false;
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}

export const nudgeUrl = z.string().refine(isNudgeUrl, { message: NUDGE_URL_RULE });

/** A tenant's channels in the tenants file: each URL inline (then the file is a secret) or in a named variable. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
export const nudgeSettings = z
  .strictObject({
    teamsUrl: nudgeUrl.optional(),
    teamsUrlEnv: envName.optional(),
    slackUrl: nudgeUrl.optional(),
    slackUrlEnv: envName.optional(),
    webhookUrl: nudgeUrl.optional(),
    webhookUrlEnv: envName.optional(),
  })
  .refine(
    (n) => !(n.teamsUrl && n.teamsUrlEnv) && !(n.slackUrl && n.slackUrlEnv) && !(n.webhookUrl && n.webhookUrlEnv),
    {
      message: 'give at most one of <channel>Url and <channel>UrlEnv per channel',
    },
  );

export type NudgeSettings = z.output<typeof nudgeSettings>;

/** Whether the file itself holds a URL (and must then be the worker's alone, like an inline client secret). */
export const holdsNudgeUrl = (n: NudgeSettings | undefined) => Boolean(n?.teamsUrl || n?.slackUrl || n?.webhookUrl);

/** The channels of a tenants-file entry, reading the named variables; refuses an unset or invalid one by name. */
export function nudgeUrlsOf(n: NudgeSettings, env: NodeJS.ProcessEnv, fail: (why: string) => never): NudgeChannelUrls {
  const urls: NudgeChannelUrls = {};
  for (const channel of NUDGE_CHANNELS) {
    const name = n[`${channel}UrlEnv`];
    const value = n[`${channel}Url`] ?? (name !== undefined ? env[name]?.trim() : undefined);
    if (name !== undefined && !value) fail(`nudge.${channel}UrlEnv: environment variable ${name} is not set`);
    if (value !== undefined && !isNudgeUrl(value)) fail(`nudge.${channel}UrlEnv: ${name} ${NUDGE_URL_RULE}`);
    if (value) urls[channel] = value;
  }
  return urls;
}
