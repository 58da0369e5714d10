/**
 * Posts one nudge. got never retries (Temporal owns retries, with backoff and the nudge queue's rate budget), never
 * throws on a status (failures.ts maps every answer in one place) and never follows a redirect.
 */
import got from 'got';
import type { NudgeChannel } from '../../contract/index.js';
import { answerFailure, transportFailure } from './failures.js';

export const NUDGE_USER_AGENT = 'defender-isolation-nudge';

export async function postJson(
  channel: NudgeChannel,
  url: string,
  body: unknown,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  let response;
  try {
    response = await got.post(url, {
      json: body,
      timeout: { request: options.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      headers: { 'user-agent': NUDGE_USER_AGENT },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    throw transportFailure(channel, err);
  }
  const failure = answerFailure(channel, response.statusCode, response.headers['retry-after']);
  if (failure) throw failure;
}
