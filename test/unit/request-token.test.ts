/**
 * Request tokens (verified requesters, issue 17): the approvals page signs one for a person, never for a `playbook:`
 * name; the contract reads a request token and an approval token apart, so neither passes for the other.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isAutomationName, peekApprovalToken, peekRequestToken } from '../../contract/index.js';
import {
  loadSigningKey,
  mintApprovalToken,
  mintRequestToken,
  AutomationNameError,
} from '../../approvals/page/tokens.js';

const user = (upn: string) => ({ sub: `oid-${upn}`, idp: 'https://idp.test', upn, name: upn, groups: [] });

describe('request tokens', () => {
  it('the page signs a request (dec request, the workflow id, the comment, no run) that is no approval token', async () => {
    const key = await loadSigningKey({ file: null, dataDir: mkdtempSync(path.join(os.tmpdir(), 'request-token-')) });
    const origin = 'https://approvals.test';
    const token = await mintRequestToken(key, origin, user('alice@contoso.com') as never, {
      workflowId: 'release-1',
      text: 'Clean after re-imaging',
    });
    const claims = peekRequestToken(token)!;
    assert.deepEqual(
      [claims.dec, claims.wid, claims.txt, claims.upn, 'rid' in claims, claims.exp - claims.iat],
      ['request', 'release-1', 'Clean after re-imaging', 'alice@contoso.com', false, 120],
    );
    assert.equal(peekApprovalToken(token), null, 'a request token decides nothing');
    const approval = await mintApprovalToken(key, origin, user('bob@contoso.com') as never, {
      decision: 'approve',
      workflowId: 'release-1',
      runId: 'run-1',
      text: '',
    });
    assert.equal(peekRequestToken(approval), null, 'an approval token requests nothing');
    for (const upn of ['playbook:incident-42', 'Playbook:x', 'ｐlaybook:x', 'schedule:nightly']) {
      await assert.rejects(
        mintRequestToken(key, origin, user(upn) as never, { workflowId: 'w', text: '' }),
        AutomationNameError,
      );
      const decision = { decision: 'approve' as const, workflowId: 'w', runId: 'r', text: '' };
      await assert.rejects(mintApprovalToken(key, origin, user(upn) as never, decision), AutomationNameError);
    }
  });

  it('isAutomationName: the prefix in any case or compatibility form; a look-alike is a person (who needs a token)', () => {
    assert.deepEqual(
      ['playbook:incident-42', ' PLAYBOOK:x', 'ｐlaybook:x', 'pIaybook:x', 'alice@contoso.com', 'playbooks'].map(
        isAutomationName,
      ),
      [true, true, true, false, false, false],
    );
  });
});
