/**
 * A loopback receiver for nudges: it records every request, checks its shape with zod (the Teams Workflows envelope
 * with its Adaptive Card, Slack's incoming-webhook blocks, the generic JSON), and can be told to answer a status (500,
 * 429, 404…) the next N times. The channel is the first path segment: `/<channel>/<anything>`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { NudgeChannel } from '../../contract/index.js';
import { ADAPTIVE_CARD } from '../../activities/nudge/teams.js';
import { WEBHOOK_KIND } from '../../activities/nudge/webhook.js';

/**
 * The secret-looking key every receiver URL carries in its path, as Teams and Slack put theirs: the run's secret scan
 * (test/final) looks for it in every history and log, and the nudge tests in the histories they make.
 */
export const NUDGE_TOKEN_PREFIX = 'nudge-sig-';
export const NUDGE_URL_TOKEN = `${NUDGE_TOKEN_PREFIX}${randomBytes(12).toString('hex')}`;

const urlsHandedOut = new Set<string>();
// Written when the process exits, like the simulator's client secrets (test/helpers/simulator.ts).
process.once('exit', () => {
  if (urlsHandedOut.size === 0) return;
  const dir = path.join(process.env.TEST_RESULTS_DIR ?? path.resolve('test-results'), 'secrets');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `nudge-urls-${process.pid}.txt`), `${[NUDGE_URL_TOKEN, ...urlsHandedOut].join('\n')}\n`);
});

const block = (types: [string, ...string[]]) => z.looseObject({ type: z.enum(types) });

export const teamsShape = z.strictObject({
  type: z.literal('message'),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal(ADAPTIVE_CARD),
        contentUrl: z.null(),
        content: z.strictObject({
          $schema: z.string(),
          type: z.literal('AdaptiveCard'),
          version: z.literal('1.4'),
          body: z.array(block(['TextBlock', 'FactSet'])).min(1),
          actions: z
            .array(z.strictObject({ type: z.literal('Action.OpenUrl'), title: z.string(), url: z.url() }))
            .optional(),
        }),
      }),
    )
    .length(1),
});

export const slackShape = z.strictObject({
  text: z.string().min(1).max(3000),
  blocks: z
    .array(block(['header', 'section', 'context']))
    .min(1)
    .max(50),
});

export const webhookShape = z.strictObject({
  kind: z.literal(WEBHOOK_KIND),
  version: z.literal(1),
  subject: z.enum(['release', 'batch']),
  text: z.string().min(1),
  link: z.url().nullable(),
  workflowId: z.string().min(1),
  runId: z.string().min(1),
  tenant: z.string().min(1),
  requestedBy: z.string(),
  incidentId: z.string().nullable(),
  comment: z.string(),
  expiresAt: z.iso.datetime(),
  verifiedApprovals: z.boolean(),
  machine: z.strictObject({ id: z.string(), computerDnsName: z.string().nullable() }).optional(),
  targets: z.strictObject({ count: z.number().int(), digest: z.string() }).optional(),
});

const SHAPES = { teams: teamsShape, slack: slackShape, webhook: webhookShape } as const;

export interface ReceivedNudge {
  channel: NudgeChannel;
  path: string;
  body: unknown;
  /** What the shape check found wrong; undefined when the payload is valid. */
  problem: string | undefined;
  /** What the receiver answered. */
  status: number;
}

interface Scripted {
  status: number;
  times: number;
  headers?: Record<string, string>;
}

export class NudgeReceiver {
  readonly received: ReceivedNudge[] = [];
  #server: Server | undefined;
  #port = 0;
  readonly #script = new Map<NudgeChannel, Scripted[]>();

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  /** The URL of a channel at this receiver, with the secret token in its path (as Teams and Slack put their keys). */
  url(channel: NudgeChannel): string {
    const url = `http://127.0.0.1:${this.#port}/${channel}/${NUDGE_URL_TOKEN}`;
    urlsHandedOut.add(url);
    return url;
  }

  /** Answers `status` to the channel's next `times` requests (then 200 again). */
  answer(channel: NudgeChannel, status: number, times: number, headers?: Record<string, string>): void {
    this.#script.set(channel, [...(this.#script.get(channel) ?? []), { status, times, headers }]);
  }

  of(channel: NudgeChannel, workflowId?: string): ReceivedNudge[] {
    return this.received.filter(
      (r) => r.channel === channel && (workflowId === undefined || JSON.stringify(r.body).includes(workflowId)),
    );
  }

  /** Waits until `predicate` holds on what was received (polling; fails after `timeoutMs`). */
  async until(predicate: (received: ReceivedNudge[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > end) throw new Error(`nudges not received in time: ${JSON.stringify(this.summary())}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  summary() {
    return this.received.map((r) => ({ channel: r.channel, status: r.status, problem: r.problem }));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '/';
    const channel = path.split('/')[1] as NudgeChannel;
    if (!(channel in SHAPES) || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    let body: unknown;
    let problem: string | undefined;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const parsed = SHAPES[channel].safeParse(body);
      if (!parsed.success) problem = z.prettifyError(parsed.error);
    } catch {
      problem = 'not JSON';
    }
    if (req.headers['content-type']?.startsWith('application/json') !== true) problem ??= 'not application/json';
    const scripted = this.#script.get(channel)?.find((s) => s.times > 0);
    const status = scripted?.status ?? 200;
    if (scripted) scripted.times -= 1;
    this.received.push({ channel, path, body, problem, status });
    res.writeHead(status, { 'content-type': 'text/plain', ...scripted?.headers }).end(status === 200 ? '1' : 'no');
  }
}
