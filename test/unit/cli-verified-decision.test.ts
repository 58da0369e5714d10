/**
 * The CLI's verified decisions without a server: the approvals page's URL (https, or http on loopback, as the page's
 * own), the ID token read from a file and never echoed, options refused before anything is sent, and an unreachable
 * page named with exit 1. End to end with the page and the provider: test/e2e/cli-verified-approvals.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { approvalsPageUrl, DEFAULT_APPROVALS_URL } from '../../client/approvals-url.js';
import { EXIT } from '../../client/cli.js';
import { CliUsageError } from '../../client/cli-output.js';
import { cli, withUnreachableServer } from '../helpers/cli-capture.js';

const MACHINE = 'b'.repeat(40);
const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-verified-unit-'));
const SECRETISH = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl';

function file(content: string): string {
  const f = path.join(dir, `${Math.random().toString(36).slice(2)}.jwt`);
  writeFileSync(f, content, { mode: 0o600 });
  return f;
}

describe('the approvals page URL', () => {
  it('the option, else APPROVALS_PAGE_URL, else the local default; always the origin', () => {
    assert.equal(approvalsPageUrl(undefined, {}), DEFAULT_APPROVALS_URL);
    assert.equal(
      approvalsPageUrl(undefined, { APPROVALS_PAGE_URL: 'https://approvals.contoso.com/' }),
      'https://approvals.contoso.com',
    );
    assert.equal(
      approvalsPageUrl('http://localhost:9000', { APPROVALS_PAGE_URL: 'https://x.contoso.com' }),
      'http://localhost:9000',
    );
  });

  it('refuses plain http to another host, credentials and queries, naming the option and never the value', () => {
    const cases: [string | undefined, NodeJS.ProcessEnv, RegExp][] = [
      ['http://approvals.contoso.com', {}, /--approvals-url must be https/],
      [undefined, { APPROVALS_PAGE_URL: 'http://approvals.contoso.com' }, /APPROVALS_PAGE_URL must be https/],
      ['https://u:p4ss@approvals.contoso.com', {}, /no credentials, query or fragment/],
      ['https://approvals.contoso.com/?t=p4ss', {}, /no credentials, query or fragment/],
      ['p4ss', {}, /must be an absolute URL/],
    ];
    for (const [option, env, expected] of cases) {
      assert.throws(
        () => approvalsPageUrl(option, env),
        (err: Error) => err instanceof CliUsageError && expected.test(err.message) && !err.message.includes('p4ss'),
      );
    }
  });
});

describe('approve/reject --sign-in and --id-token-file', () => {
  withUnreachableServer();
  const page = ['--approvals-url', 'http://127.0.0.1:1'];

  it('refuses mixed or missing options before anything is sent (exit 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['approve', MACHINE, '--sign-in', '--by', 'bob@contoso.com'], /recorded under who signed in/],
      [['approve', MACHINE, '--sign-in', '--id-token-file', file(SECRETISH)], /exclude each other/],
      [['approve', MACHINE, '--sign-in', '--digest', 'abc'], /batch/],
      [['reject', MACHINE, '--sign-in'], /reject needs --reason/],
      [['approve', MACHINE], /--by <who> \(a named decision\), or --sign-in or --id-token-file/],
    ];
    for (const [args, expected] of cases) {
      const printed = await cli(...args, ...page);
      assert.equal(printed.code, EXIT.usage, printed.err);
      assert.match(printed.err, expected);
    }
  });

  it('reads the ID token from the file only, and never echoes what the file holds', async () => {
    const missing = await cli('approve', MACHINE, '--id-token-file', path.join(dir, 'absent'), ...page);
    assert.equal(missing.code, EXIT.usage);
    assert.match(missing.err, /--id-token-file could not be read/);
    const junk = await cli('approve', MACHINE, '--id-token-file', file(`client_secret=p4ss ${SECRETISH}`), ...page);
    assert.equal(junk.code, EXIT.usage);
    assert.match(junk.err, /must hold one ID token/);
    assert.ok(!junk.err.includes('p4ss') && !junk.err.includes(SECRETISH));
  });

  it('an unreachable page is named (exit 1, ApprovalsPageUnreachable), and the token is not shown', async () => {
    const printed = await cli('approve', MACHINE, '--id-token-file', file(SECRETISH), '--json', ...page);
    assert.equal(printed.code, EXIT.error);
    const { error } = JSON.parse(printed.err) as { error: { type: string; message: string } };
    assert.equal(error.type, 'ApprovalsPageUnreachable');
    assert.match(error.message, /cannot reach the approvals page at http:\/\/127\.0\.0\.1:1/);
    assert.ok(!printed.err.includes(SECRETISH));
  });

  it('help tells how to decide verified', async () => {
    const help = await cli('approve', '--help');
    assert.match(help.out, /--sign-in/);
    assert.match(help.out, /--id-token-file <file>/);
    assert.match(help.out, /APPROVALS_PAGE_URL/);
  });
});
