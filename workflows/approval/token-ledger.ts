import { APPROVAL_CLOCK_TOLERANCE_S } from '../../contract/index.js';

/** Tokens a workflow has seen, so none is used twice, and whether one is being verified now. */
export interface TokenLedger {
  /** Every token tried and not yet past its expiry (with the clock tolerance): until then it could count again. */
  used: { jti: string; exp: number }[];
  verifying: boolean;
}

/**
 * Tokens tried within one token lifetime that a run remembers. A token is forgotten only once it has expired, so a
 * full ledger refuses decisions until some expire rather than forget one that could still count: that many tries so
 * soon is an attack of its own.
 */
export const MAX_REMEMBERED_TOKENS = 200;

export const newTokenLedger = (): TokenLedger => ({ used: [], verifying: false });

/** The tokens that can still count at `nowMs` (not expired, with the clock tolerance). */
function unexpired(ledger: TokenLedger, nowMs: number): TokenLedger['used'] {
  return ledger.used.filter((t) => (t.exp + APPROVAL_CLOCK_TOLERANCE_S) * 1000 >= nowMs);
}

/** Why a token cannot be tried now — used already, or too many tried lately — or null. */
export function ledgerProblem(ledger: TokenLedger, jti: string, nowMs: number): string | null {
  const remembered = unexpired(ledger, nowMs);
  if (remembered.some((t) => t.jti === jti)) return 'the token was already used';
  if (remembered.length >= MAX_REMEMBERED_TOKENS) return 'too many approval tokens tried in the last minutes';
  return null;
}

/** Records a token as tried, whatever its verdict: a refused one must not be tried again either. */
export function rememberToken(ledger: TokenLedger, token: { jti: string; exp: number }, nowMs: number): void {
  ledger.used = [...unexpired(ledger, nowMs), { jti: token.jti, exp: token.exp }];
}
