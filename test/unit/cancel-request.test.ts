/**
 * A `cancelRelease` request, by the rules the client parses with (zod, `parseCancelRelease`) and the rules the
 * workflow's validator applies (hand-written, `parseCancelRequest`): the same answers, each refusal naming the field
 * and rule, never the value. The validator refuses a release in any end state; the CLI shows who cancelled and why.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT, formatStatus } from '../../client/cli.js';
import { parseCancelRequest, RELEASE_STATES, type ReleaseStatus } from '../../contract/index.js';
import { InvalidReleaseRequestError, parseCancelRelease } from '../../contract/schemas/index.js';
import { checkCancellation } from '../../workflows/release/cancel-request.js';
import type { ReleaseTracker } from '../../workflows/release/release-tracker.js';
import { cli, withUnreachableServer } from '../helpers/cli-capture.js';

const INPUTS: [unknown, string | null][] = [
  [{ by: 'carol@contoso.com', reason: 'wrong machine' }, null],
  [{ by: '  Carol  Smith ', reason: 'wrong machine' }, null],
  [{ by: 'Carol', reason: 'לא המכונה הנכונה' }, null],
  [{ reason: 'r' }, 'by'],
  [{ by: '', reason: 'r' }, 'by'],
  [{ by: 42, reason: 'r' }, 'by'],
  [{ by: 'c\u200barol', reason: 'r' }, 'by'],
  [{ by: 'c\u0430rol', reason: 'r' }, 'by'],
  [{ by: 'x'.repeat(201), reason: 'r' }, 'by'],
  [{ by: 'carol' }, 'reason'],
  [{ by: 'carol', reason: '' }, 'reason'],
  [{ by: 'carol', reason: '   ' }, 'reason'],
  [{ by: 'carol', reason: 'a\nb' }, 'reason'],
  [{ by: 'carol', reason: 'a\u202eb' }, 'reason'],
  [{ by: 'carol', reason: 'r'.repeat(1001) }, 'reason'],
  [{ by: 'carol', reason: 7 }, 'reason'],
  [{ by: 'carol', reason: 'r', extra: 1 }, 'extra'],
];

describe('a cancelRelease request: the client and the workflow hold it to the same rules', () => {
  for (const [input, field] of INPUTS) {
    it(`${JSON.stringify(input).slice(0, 60)} → ${field ? `refused naming ${field}` : 'accepted'}`, () => {
      const guarded = parseCancelRequest(input);
      let parsed: unknown;
      let refused: InvalidReleaseRequestError | undefined;
      try {
        parsed = parseCancelRelease(input);
      } catch (err) {
        assert.ok(err instanceof InvalidReleaseRequestError, String(err));
        refused = err;
      }
      if (field === null) {
        assert.ok(guarded.ok, guarded.ok ? '' : guarded.reason);
        assert.deepEqual(parsed, guarded.value, 'the same normalised name');
        return;
      }
      assert.ok(!guarded.ok);
      assert.match(guarded.reason, field === 'extra' ? /unknown field\(s\) "extra"/ : new RegExp(`^${field} `));
      assert.ok(refused, 'the client refuses too');
      assert.deepEqual(refused.fields, [field === 'extra' ? 'request' : field]);
      for (const message of [guarded.reason, refused.message]) {
        assert.doesNotMatch(message, /carol|rrrr|xxxx|\n|\u202e|\u200b/, 'the value is not echoed');
      }
    });
  }
});

describe('the cancelRelease validator', () => {
  const release = (state: string) =>
    ({ status: { workflowId: 'release-1', state, cancellation: null } }) as unknown as ReleaseTracker;
  const carol = { by: 'carol@contoso.com', reason: 'wrong machine' };

  it('refuses a release in any end state, naming it (CancellationRefused)', () => {
    for (const state of RELEASE_STATES.ended) {
      assert.throws(
        () => checkCancellation(release(state), carol),
        (err: Error & { type?: string }) =>
          err.type === 'CancellationRefused' &&
          err.message === `release release-1 has already ended (state: ${state}); nothing to cancel`,
      );
    }
  });

  it('takes one in any running state but cancelling', () => {
    for (const state of RELEASE_STATES.running) {
      if (state === 'cancelling')
        assert.throws(() => checkCancellation(release(state), carol), /already being cancelled/);
      else checkCancellation(release(state), carol);
    }
  });
});

const STATUS: ReleaseStatus = {
  workflowId: 'release-1a2b',
  state: 'cancelled',
  machineId: '1a2b',
  tenant: null,
  computerDnsName: null,
  incidentId: null,
  requestedBy: 'alice@contoso.com',
  requestedAt: '2026-12-01T08:00:00.000Z',
  approval: { mode: 'required', approvers: ['bob'], expiresAt: '2026-12-02T08:00:00.000Z', decision: null },
  machineAction: null,
  cancelledIsolationActionId: null,
  lastError: null,
  result: null,
  cancellation: { by: 'carol@contoso.com', reason: 'wrong machine', at: '2026-12-01T09:00:00.000Z' },
};

describe('status after a cancellation', () => {
  it('says who cancelled and why, and awaits no approval any more', () => {
    const printed = formatStatus(STATUS);
    assert.match(printed, /^Release release-1a2b: cancelled$/m);
    assert.match(printed, /^ {2}cancelled {5}by carol@contoso\.com at 2026-12-01T09:00:00\.000Z: wrong machine$/m);
    assert.doesNotMatch(printed, /awaiting/);
    // Even in the instant before the release left awaiting-approval.
    assert.doesNotMatch(formatStatus({ ...STATUS, state: 'awaiting-approval' }), /awaiting bob/);
  });

  it('a Temporal cancellation: cancelled, without a who', () => {
    const printed = formatStatus({ ...STATUS, cancellation: null });
    assert.match(printed, /^ {2}cancelled {5}through Temporal \(who and why are not recorded\)$/m);
    assert.doesNotMatch(printed, /awaiting/);
  });

  it('the approval is awaited only while awaiting approval', () => {
    const waiting = { ...STATUS, state: 'awaiting-approval', cancellation: null } as const;
    assert.match(formatStatus(waiting), /approval {6}awaiting bob until 2026-12-02T08:00:00\.000Z/);
    assert.doesNotMatch(formatStatus({ ...waiting, state: 'checking' }), /awaiting/);
  });
});

describe('CLI cancel: refused before connecting', () => {
  withUnreachableServer();

  it('without --by or --reason: exit 2, naming both', async () => {
    for (const args of [['--by', 'carol'], ['--reason', 'r'], []]) {
      const { code, err } = await cli('cancel', 'release-1', ...args);
      assert.equal(code, EXIT.usage);
      assert.equal(err, 'cancel needs --by <who> and --reason <text>');
    }
  });

  it('a --by the name rules refuse: exit 2, InvalidInput naming by', async () => {
    const { code, err } = await cli('cancel', 'release-1', '--by', 'c\u200barol', '--reason', 'r', '--json');
    assert.equal(code, EXIT.usage);
    const { error } = JSON.parse(err) as { error: { type: string; message: string } };
    assert.equal(error.type, 'InvalidInput');
    assert.match(
      error.message,
      /^invalid cancellation: by must not contain invisible or formatting characters \(U\+200B\)$/,
    );
  });
});
