/**
 * The CLI as users of `gh` and the `temporal` CLI expect it, without a server: `--version`, errors on stderr (JSON
 * there too with `--json`), options refused before anything connects. Nothing listens at the address these tests give,
 * so a command that tried to connect would fail differently (and slowly).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EXIT } from '../../client/cli.js';
import { listedState } from '../../client/release-list.js';
import { RELEASE_STATES } from '../../contract/index.js';
import { cli, withUnreachableServer } from '../helpers/cli-capture.js';

const MACHINE = 'a'.repeat(40);

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

describe('errors go to stderr, always', () => {
  withUnreachableServer();

  it('--json: a JSON error object on stderr, nothing on stdout', async () => {
    const bad = await cli('release', 'not-a-machine', '--comment', '', '--requested-by', 'alice', '--json');
    assert.equal(bad.code, EXIT.usage);
    assert.equal(bad.out, '', 'stdout stays for results');
    const { error } = JSON.parse(bad.err) as { error: { type: string; message: string } };
    assert.equal(error.type, 'InvalidInput');
    assert.match(error.message, /machineId/);
  });

  it('--json: an unknown option is a JSON usage error on stderr', async () => {
    const bad = await cli('status', MACHINE, '--bogus', '--json');
    assert.equal(bad.code, EXIT.usage);
    assert.equal(bad.out, '');
    assert.equal((JSON.parse(bad.err) as { error: { type: string } }).error.type, 'UsageError');
  });

  it('bulk --json: the same', async () => {
    const bad = await cli('bulk', '--comment', 'x', '--requested-by', 'a', '--json');
    assert.equal(bad.code, EXIT.usage);
    assert.equal(bad.out, '');
    assert.equal((JSON.parse(bad.err) as { error: { type: string } }).error.type, 'InvalidInput');
  });

  it('for people: the message on stderr', async () => {
    const bad = await cli('approve', MACHINE);
    assert.equal(bad.code, EXIT.usage);
    assert.equal(bad.out, '');
    assert.match(bad.err, /approve needs --by <who>/);
  });
});

describe('list --state', () => {
  withUnreachableServer();

  it('an unknown state exits 2 naming the states there are, before connecting', async () => {
    const bad = await cli('list', '--state', 'bogus');
    assert.equal(bad.code, EXIT.usage, bad.err);
    assert.match(bad.err, /--state must be one of/);
    for (const state of [...RELEASE_STATES.running, ...RELEASE_STATES.ended]) assert.ok(bad.err.includes(state), state);
    assert.doesNotMatch(bad.err, /bogus/, 'the value is not echoed');
  });

  it('a brief state the search attribute does not record exits 2 saying so, before connecting', async () => {
    const brief = await cli('list', '--state', 'checking');
    assert.equal(brief.code, EXIT.usage, brief.err);
    assert.match(brief.err, /--state checking: a brief step the ReleaseState search attribute does not record/);
  });
});

describe('list: the state a run shows', () => {
  it("its ReleaseState while running or once it recorded its end; Temporal's status otherwise", () => {
    for (const [releaseState, status, shown] of [
      ['awaiting-approval', 'RUNNING', 'awaiting-approval'],
      [null, 'RUNNING', 'running'],
      ['released', 'COMPLETED', 'released'],
      ['rejected', 'FAILED', 'rejected'],
      ['cancelled', 'CANCELLED', 'cancelled'],
      ['cancelled', 'FAILED', 'cancelled'],
      ['validating', 'TERMINATED', 'terminated'],
      ['awaiting-approval', 'TIMED_OUT', 'timed-out'],
      ['confirming', 'CONTINUED_AS_NEW', 'continued-as-new'],
      ['checking', 'FAILED', 'failed'],
      ['confirming', 'CANCELLED', 'cancelled'],
      [null, 'TERMINATED', 'terminated'],
    ] as const) {
      assert.equal(listedState(releaseState, status), shown, `${releaseState} ${status}`);
    }
  });
});
