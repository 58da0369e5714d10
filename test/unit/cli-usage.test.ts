/**
 * The CLI as users of `gh` and the `temporal` CLI expect it, without a server: `--version`, errors on stderr (JSON
 * there too with `--json`), options refused before anything connects. Nothing listens at the address these tests give,
 * so a command that tried to connect would fail differently (and slowly).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EXIT, runCli } from '../../client/cli.js';

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function cli(...args: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('defender-isolation --version', () => {
  it("prints the package's version on stdout and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const printed = await cli('--version');
    assert.equal(printed.code, EXIT.ok, printed.err);
    assert.equal(printed.out, `defender-isolation version ${version}`);
    assert.equal(printed.err, '');
  });
});
