import { after, before } from 'node:test';
import { runCli } from '../../client/cli.js';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in this process, as a shell would, and captures its exit code, stdout and stderr. */
export async function cli(...args: string[]): Promise<Captured> {
  return cliWatching(args, () => {});
}

/** `cli`, with each stderr line also given to `onErr` as it comes (a device sign-in's prompt). */
export async function cliWatching(args: string[], onErr: (line: string) => void): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => (err.push(l), onErr(l)) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Nothing listens there: a command that connected would fail with a connection error, not a usage error. */
export function withUnreachableServer(): void {
  const saved = process.env.TEMPORAL_ADDRESS;
  before(() => {
    process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';
  });
  after(() => {
    if (saved === undefined) delete process.env.TEMPORAL_ADDRESS;
    else process.env.TEMPORAL_ADDRESS = saved;
  });
}
