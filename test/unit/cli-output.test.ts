/**
 * The CLI never prints a control, formatting or bidi character it got from a workflow (issue 15): a status whose
 * decision carries ESC sequences, a newline with "approved by CISO" and an RLO is printed escaped, on the lines the
 * CLI meant, and `--json` stays the same JSON.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProgress } from '../../client/cli-bulk.js';
import { safe, safeJson, table, terminalSafe } from '../../client/cli-output.js';
import { describeReleaseProgress } from '../../client/cli-progress.js';
import { formatStatus } from '../../client/cli.js';
import type { BulkProgress, ReleaseStatus } from '../../contract/index.js';

const FORGED = 'mallory\u001b[2K\r\n  approval      approved by CISO\u202e';
// What a terminal would act on: C0/C1 controls, formatting and bidi characters, line separators.
const HIDDEN = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

const status: ReleaseStatus = {
  workflowId: 'release-1a2b',
  state: 'rejected',
  machineId: '1a2b',
  tenant: null,
  computerDnsName: 'finance-07\u001b]0;pwned\u0007.contoso.com',
  incidentId: 'INC-42\u202e24-CNI',
  requestedBy: 'alice@contoso.com',
  requestedAt: '2026-12-01T08:00:00.000Z',
  approval: {
    mode: 'required',
    approvers: null,
    expiresAt: null,
    decision: { decision: 'rejected', by: FORGED, at: '2026-12-01T09:00:00.000Z', comment: FORGED, source: 'update' },
  },
  machineAction: null,
  cancelledIsolationActionId: null,
  lastError: { type: 'ReleaseRejected', message: `rejected by ${FORGED}` },
  result: null,
  cancellation: null,
};

const lines = (text: string) => text.split('\n');

describe('terminalSafe', () => {
  it('shows control, formatting and bidi characters escaped, the rest as it is', () => {
    assert.equal(
      terminalSafe('a\u001b[31mb\nc\u202ed\u200be\u0085f\u2028g'),
      'a\\u{1b}[31mb\\u{a}c\\u{202e}d\\u{200b}e\\u{85}f\\u{2028}g',
    );
    assert.equal(terminalSafe('josé 李雷 ✅'), 'josé 李雷 ✅');
    assert.equal(safe`Release ${'x\ny'}: ${3}`, 'Release x\\u{a}y: 3');
  });

  it('--json: the same data, with nothing hidden left raw', () => {
    const data = { by: FORGED, tag: 'a\u{e0041}b', del: 'x\u007f\u009by' };
    const json = safeJson(data);
    assert.deepEqual(JSON.parse(json), data);
    assert.doesNotMatch(json.replace(/\n/g, ''), HIDDEN);
  });

  it('a table escapes its cells before it pads them', () => {
    const printed = table(
      [{ id: 'w\u001b[2J', state: 'ok\napproved' }],
      [
        { key: 'id', title: 'ID' },
        { key: 'state', title: 'STATE' },
      ],
      'none',
    );
    assert.equal(lines(printed).length, 2);
    assert.doesNotMatch(printed.replace(/\n/g, ''), HIDDEN);
  });
});

describe('CLI status lines', () => {
  it('a forged decision stays on its own line, escaped: no second "approved by CISO" line, no escape, no RLO', () => {
    const printed = formatStatus(status);
    assert.doesNotMatch(printed.replace(/\n/g, ''), HIDDEN);
    assert.equal(lines(printed).filter((l) => /^\s*approval\s/.test(l)).length, 1, printed);
    assert.ok(printed.includes('mallory\\u{1b}[2K\\u{d}\\u{a}  approval      approved by CISO\\u{202e}'), printed);
    assert.ok(printed.includes('finance-07\\u{1b}]0;pwned\\u{7}.contoso.com'), printed);
  });

  it('progress lines and a batch progress are escaped too', () => {
    const awaiting = { ...status, state: 'awaiting-approval', approval: { ...status.approval, approvers: [FORGED] } };
    assert.doesNotMatch(describeReleaseProgress(awaiting as ReleaseStatus), HIDDEN);
    const progress: BulkProgress = {
      workflowId: 'bulk-1',
      state: 'rejected',
      dryRun: false,
      total: 2,
      targetDigest: null,
      counts: { [`pending${FORGED}`]: 2 },
      failed: [{ machineId: 'm', type: FORGED }],
      approval: { mode: 'required', expiresAt: null, decision: status.approval.decision },
      run: 1,
    };
    const printed = formatProgress(progress);
    assert.doesNotMatch(printed.replace(/\n/g, ''), HIDDEN);
    assert.equal(lines(printed).length, 4);
  });
});
