/**
 * A demo receiver for nudges (docs/nudges.md): a loopback HTTP server that takes what the nudge activity posts (the
 * generic JSON webhook, and Teams' and Slack's shapes too) and prints one line per nudge:
 *
 *   Nudge: release release-1e5bc9d7… for ws-042.contoso.local awaits approval — http://127.0.0.1:8091/releases/…
 *
 * `npm start` runs it for the default tenant when no NUDGE_* channel is configured, so the walkthrough shows a nudge
 * arriving. Not for production: it prints to the console and keeps nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerConfig } from '../worker/config.js';

export interface NudgeReceiver {
  /** Where to post: the value for NUDGE_WEBHOOK_URL (or a Teams or Slack URL, for a look at those shapes). */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/** Starts the receiver on 127.0.0.1 (`port` 0: any free one); each nudge is passed to `print` as one line. */
export async function startNudgeReceiver(
  options: { port?: number; print?: (line: string) => void } = {},
): Promise<NudgeReceiver> {
  const print = options.print ?? ((line: string) => console.log(line));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      const line = req.method === 'POST' && size <= MAX_BODY ? describeNudge(Buffer.concat(chunks).toString()) : null;
      if (line) print(line);
      res.writeHead(line ? 200 : 400, { 'content-type': 'text/plain' }).end(line ? 'ok' : 'not a nudge');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/nudges`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The nudge's line, whichever of the three shapes it came in; null when it is none of them. */
export function describeNudge(body: string): string | null {
  let nudge: Record<string, unknown>;
  try {
    nudge = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return null;
  }
  const shape = genericShape(nudge) ?? teamsShape(nudge) ?? slackShape(nudge);
  if (!shape) return null;
  // The text comes from requests: control characters (a terminal escape in a host name) are shown as spaces.
  const text = shape.text.replace(/[\p{Cc}\u2028\u2029]/gu, ' ').replace(/\\(.)/g, '$1');
  const headline = text.charAt(0).toLowerCase() + text.slice(1);
  return `Nudge: ${headline} — ${shape.link ?? '(no link: set APPROVALS_PAGE_URL)'}`;
}

type Shape = { text: string; link: string | null } | undefined;

function genericShape(n: Record<string, unknown>): Shape {
  if (n.kind !== 'defender-isolation.approval-awaited' || typeof n.text !== 'string') return undefined;
  return { text: n.text, link: typeof n.link === 'string' ? n.link : null };
}

function teamsShape(n: Record<string, unknown>): Shape {
  const card = (n.attachments as { content?: Record<string, unknown> }[] | undefined)?.[0]?.content;
  const text = (card?.body as { text?: unknown }[] | undefined)?.[0]?.text;
  if (n.type !== 'message' || typeof text !== 'string') return undefined;
  const link = (card?.actions as { url?: unknown }[] | undefined)?.[0]?.url;
  return { text: `${text} (Teams)`, link: typeof link === 'string' ? link : null };
}

function slackShape(n: Record<string, unknown>): Shape {
  if (typeof n.text !== 'string' || !Array.isArray(n.blocks)) return undefined;
  const [text, link] = n.text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').split(': http');
  return { text: `${text} (Slack)`, link: link ? `http${link}` : null };
}

/**
 * For `npm start`: with no nudge channel configured anywhere and a default tenant to nudge for, starts the receiver
 * and makes it the default tenant's generic webhook. Returns its clean-up (a no-op when it was not started).
 */
export async function startDemoNudges(config: WorkerConfig, hasDefaultTenant: boolean): Promise<() => Promise<void>> {
  const configured =
    Object.keys(config.nudge.urls).length > 0 ||
    Object.values(config.tenants).some((t) => Object.keys(t.nudge ?? {}).length > 0);
  if (configured || !hasDefaultTenant) return async () => undefined;
  const receiver = await startNudgeReceiver();
  config.nudge.urls = { webhook: receiver.url };
  console.log(
    `Nudges: no NUDGE_* channel configured, so the demo receiver (${receiver.url}) takes the default tenant's ` +
      'generic webhook and prints each nudge here (docs/nudges.md)\n',
  );
  return () => receiver.close();
}
