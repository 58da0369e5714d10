/**
 * The workflow-safe reading of approval tokens (no Buffer or atob in the sandbox): the hand-written base64url decoder
 * agrees with Node's on tokens of every length and of multi-byte text, and anything but an approval token is null.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { approvalTokenProblem, peekApprovalToken } from '../../contract/index.js';
import { mintApprovalToken, newSigningKey } from '../helpers/approval-tokens.js';

describe('peekApprovalToken', () => {
  it("reads the claims as Node's base64url decoder does, for 300 tokens of varied lengths and text", async () => {
    const key = await newSigningKey();
    for (let i = 0; i < 300; i++) {
      const token = await mintApprovalToken({
        key,
        upn: `bob${'x'.repeat(i % 7)}@contoso.com`,
        dec: 'approve',
        wid: 'release-1',
        rid: 'run-1',
        txt: `${randomBytes(i % 50).toString('latin1')} ü ñ ✓ 😀`,
      });
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
      assert.deepEqual(peekApprovalToken(token), payload);
    }
  });

  it('is null for anything but an approval token: another typ or alg, missing claims, not JWS', async () => {
    const key = await newSigningKey();
    const base = { key, upn: 'bob@contoso.com', dec: 'approve', wid: 'w', rid: 'r' } as const;
    assert.equal(peekApprovalToken(await mintApprovalToken({ ...base, header: { typ: 'JWT' } })), null);
    assert.equal(peekApprovalToken(await mintApprovalToken({ ...base, claims: { dec: 'maybe' } })), null);
    assert.equal(peekApprovalToken(await mintApprovalToken({ ...base, claims: { upn: 42 } })), null);
    const unsigned = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', typ: 'defender-approval+jwt' });
    assert.equal(peekApprovalToken(await unsigned.sign(key.privateKey)), null);
    for (const junk of [undefined, 42, '', 'a.b', 'a.b.c', '!!!.???.x', `${'a'.repeat(5000)}.b.c`]) {
      assert.equal(peekApprovalToken(junk), null);
    }
  });

  it('approvalTokenProblem: verb, workflow, run, lifetime, expiry (30 s tolerance), issued in the future', async () => {
    const key = await newSigningKey();
    const claims = peekApprovalToken(
      await mintApprovalToken({ key, upn: 'bob@contoso.com', dec: 'approve', wid: 'w', rid: 'r' }),
    )!;
    const expected = { verb: 'approve' as const, workflowId: 'w', runId: 'r', nowMs: claims.iat * 1000 };
    assert.equal(approvalTokenProblem(claims, expected), null);
    assert.match(approvalTokenProblem(claims, { ...expected, verb: 'reject' })!, /decides "approve", not "reject"/);
    assert.match(approvalTokenProblem(claims, { ...expected, workflowId: 'x' })!, /another workflow/);
    assert.match(approvalTokenProblem(claims, { ...expected, runId: 'x' })!, /another run/);
    assert.equal(approvalTokenProblem(claims, { ...expected, nowMs: (claims.exp + 29) * 1000 }), null);
    assert.match(approvalTokenProblem(claims, { ...expected, nowMs: (claims.exp + 30) * 1000 })!, /expired/);
    assert.match(approvalTokenProblem(claims, { ...expected, nowMs: (claims.iat - 31) * 1000 })!, /future/);
    assert.match(approvalTokenProblem({ ...claims, exp: claims.iat + 301 }, expected)!, /lifetime/);
  });
});
