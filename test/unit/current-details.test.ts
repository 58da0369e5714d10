/**
 * A release's current details, as the Temporal UI's page shows them (issue 16): while awaiting approval they say who
 * may approve and until when, in words a person reads; every value is escaped, so a name or a Defender string that
 * looks like markdown (a link, emphasis, a code span, a heading after a line break) shows as the text it is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReleaseStatus } from '../../contract/index.js';
import { markdownText } from '../../contract/markdown.js';
import { currentDetails } from '../../workflows/release/current-details.js';

const MACHINE = '7ea1e7f6ba0462b37c7e9272e5264e3038e1f197';

function status(overrides: Partial<ReleaseStatus> = {}): ReleaseStatus {
  return {
    workflowId: `release-${MACHINE}`,
    state: 'awaiting-approval',
    machineId: MACHINE,
    tenant: null,
    computerDnsName: 'finance-07.contoso.com',
    incidentId: 'INC-42',
    requestedBy: 'alice@contoso.com',
    requestedAt: '2026-12-02T09:00:00.000Z',
    approval: {
      mode: 'required',
      approvers: ['bob@contoso.com'],
      expiresAt: '2026-12-03T09:00:59.999Z',
      decision: null,
    },
    machineAction: null,
    cancelledIsolationActionId: null,
    cancellation: null,
    lastError: null,
    result: null,
    ...overrides,
  };
}

describe('current details', () => {
  it('awaiting approval: who may approve and until when (to the minute, UTC), then what is released for whom', () => {
    assert.equal(
      currentDetails(status()),
      '**Awaiting approval** by bob@contoso.com until 2026-12-03 09:00 UTC\n\n' +
        `Release of finance-07.contoso.com (\`${MACHINE}\`) for incident INC-42, requested by alice@contoso.com.`,
    );
  });

  it('named approvals (verification off) say loudly that the approver is not verified; verified ones do not', () => {
    const named = currentDetails(status({ approval: { ...status().approval, verification: 'off' } }));
    assert.match(named, /\n\n\*\*Named approvals: approver not verified\*\*/);
    const verified = currentDetails(status({ approval: { ...status().approval, verification: 'required' } }));
    assert.doesNotMatch(verified, /not verified/);
  });

  it('several approvers are "one of" them (five named at most); none named is anyone but the requester', () => {
    const approvers = ['a@x', 'b@x', 'c@x', 'd@x', 'e@x', 'f@x', 'g@x'];
    const many = currentDetails(status({ approval: { ...status().approval, approvers } }));
    assert.match(
      many,
      /^\*\*Awaiting approval\*\* by one of a@x, b@x, c@x, d@x, e@x and 2 more until 2026-12-03 09:00/,
    );
    const anyone = currentDetails(status({ approval: { ...status().approval, approvers: null } }));
    assert.match(anyone, /^\*\*Awaiting approval\*\* by anyone but alice@contoso\.com until /);
  });

  it('after the decision: the state, who decided, the machine action', () => {
    const details = currentDetails(
      status({
        state: 'releasing',
        approval: {
          ...status().approval,
          decision: { decision: 'approved', by: 'bob@contoso.com', at: '', comment: null, source: 'update' },
        },
        machineAction: { id: 'a1b2', status: 'Pending', how: 'posted', submittedAt: '' },
      }),
    );
    assert.equal(
      details,
      `**Releasing**\n\nRelease of finance-07.contoso.com (\`${MACHINE}\`) for incident INC-42, requested by ` +
        'alice@contoso.com.\n\nApproved by bob@contoso.com.\n\nMachine action a1b2: Pending.',
    );
    assert.match(currentDetails(status({ state: 'approval-expired' })), /^\*\*Approval expired\*\*\n\n/);
  });

  it('after a cancellation by update: who cancelled and why, escaped', () => {
    const details = currentDetails(
      status({ state: 'cancelled', cancellation: { by: 'carol@contoso.com', reason: 'wrong *machine*', at: '' } }),
    );
    assert.match(details, /^\*\*Cancelled\*\*\n\n/);
    assert.ok(details.endsWith(`Cancelled by carol@contoso.com: ${markdownText('wrong *machine*')}.`), details);
    assert.ok(!details.includes('Awaiting'), 'no approval wait once cancelled');
  });

  it('names and Defender strings that look like markdown are escaped; Defender strings are cut', () => {
    const details = currentDetails(
      status({
        requestedBy: '*mallory*',
        approval: { ...status().approval, approvers: ['bob@contoso.com', '[Approve here](https://evil.example)'] },
        computerDnsName: 'my_host_',
        machineAction: { id: 'x\n# Approved by CISO', status: `\`${'P'.repeat(100)}`, how: 'posted', submittedAt: '' },
      }),
    );
    assert.match(details, /by one of bob@contoso\.com, \\\[Approve here\\\]\(https\\:\/\/evil\.example\) until /);
    assert.match(details, /requested by \\\*mallory\\\*\./);
    assert.match(details, /Release of my\\_host\\_ \(/);
    assert.match(details, /Machine action x # Approved by CISO: \\`P{31}…\./);
    assert.doesNotMatch(details, /\n#/);
  });

  it('markdownText keeps ordinary names as they are and escapes what opens inline syntax', () => {
    assert.equal(markdownText('alice@contoso.com'), 'alice@contoso.com');
    assert.equal(markdownText('playbook:incident-42'), 'playbook:incident-42');
    assert.equal(markdownText('a\\b`c*d_e[f]g<h>i&j|k'), 'a\\\\b\\`c\\*d\\_e\\[f\\]g\\<h\\>i\\&j\\|k');
    // The UI server's renderer links a bare address (at its scheme's colon) and knows ~~strike~~ and $math$.
    assert.equal(markdownText('MAILTO:x@evil.example'), 'MAILTO\\:x@evil.example');
    assert.equal(
      markdownText('see https://evil.example ~~x~~ $y$'),
      'see https\\://evil.example \\~\\~x\\~\\~ \\$y\\$',
    );
    assert.equal(markdownText('one\r\ntwo\u2028three'), 'one  two three');
    // The UI fills in {workflowId}, {runId} and {namespace} in what it renders: a name must not be filled in.
    assert.equal(markdownText('{workflowId}'), '\\{workflowId\\}');
  });
});
