/**
 * The approval tokens a run remembers (workflows/approval/token-ledger.ts): a token tried once is refused again for as
 * long as it could count, however many others are tried meanwhile; a full ledger refuses new tokens rather than forget
 * one that has not expired; an expired token is forgotten (it is refused as expired anyway).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APPROVAL_CLOCK_TOLERANCE_S } from '../../contract/index.js';
import {
  ledgerProblem,
  MAX_REMEMBERED_TOKENS,
  newTokenLedger,
  rememberToken,
} from '../../workflows/approval/token-ledger.js';

const nowMs = Date.parse('2026-12-02T12:00:00Z');
const nowS = nowMs / 1000;

describe('the approval token ledger', () => {
  it('a token tried once is refused again while it could count, after any number of other tries', () => {
    const ledger = newTokenLedger();
    rememberToken(ledger, { jti: 'first', exp: nowS + 120 }, nowMs);
    // The attack: as many refused tries as the ledger holds, to push the first token out of it.
    for (let i = 1; i < MAX_REMEMBERED_TOKENS; i++)
      rememberToken(ledger, { jti: `forged-${i}`, exp: nowS + 120 }, nowMs);
    assert.equal(ledgerProblem(ledger, 'first', nowMs + 60_000), 'the token was already used');
    assert.equal(
      ledgerProblem(ledger, 'new', nowMs + 60_000),
      'too many approval tokens tried in the last minutes',
      'a full ledger refuses new tokens instead of forgetting one',
    );
  });

  it('forgets a token once it expired (with the clock tolerance), and takes new ones again', () => {
    const ledger = newTokenLedger();
    for (let i = 0; i < MAX_REMEMBERED_TOKENS; i++) rememberToken(ledger, { jti: `t-${i}`, exp: nowS + 120 }, nowMs);
    const justValid = nowMs + (120 + APPROVAL_CLOCK_TOLERANCE_S) * 1000;
    assert.equal(ledgerProblem(ledger, 't-0', justValid), 'the token was already used');
    const expired = justValid + 1000;
    assert.equal(ledgerProblem(ledger, 't-0', expired), null);
    assert.equal(ledgerProblem(ledger, 'new', expired), null);
    rememberToken(ledger, { jti: 'new', exp: expired / 1000 + 120 }, expired);
    assert.deepEqual(
      ledger.used.map((t) => t.jti),
      ['new'],
    );
  });
});
