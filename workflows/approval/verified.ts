import * as wf from '@temporalio/workflow';
import {
  approvalTokenProblem,
  isAutomationName,
  peekApprovalToken,
  type ApprovalTokenClaims,
  type VerifiedApproval,
} from '../../contract/index.js';
import type { LocalActivities } from '../../activities/index.js';
import { ledgerProblem, rememberToken, type TokenLedger } from './token-ledger.js';
import { checkApprover, checkDecisionText, deciderName, refuseApproval, type DeciderRules } from './rules.js';

/** One attempt, short: a bad token is answered `{ ok: false }`, so retries only cover the worker's own hiccups. */
const tokenVerification = wf.proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 2 },
});

/** What the validators read from a decision's input. */
export interface DecisionFields {
  approver?: unknown;
  comment?: unknown;
  reason?: unknown;
  token?: unknown;
}

/**
 * The validator's checks of a verified decision, before any signature is checked: synchronous, so a token that cannot
 * count (malformed, for another decision, workflow or run, expired, used, the requester's) leaves no history.
 */
export function checkApprovalToken(args: {
  fields: DecisionFields;
  verb: 'approve' | 'reject';
  ledger: TokenLedger;
  rules: DeciderRules;
  subject: 'release' | 'batch';
}): ApprovalTokenClaims {
  const { fields, verb, ledger, rules, subject } = args;
  if (ledger.verifying) throw refuseApproval(`another decision is being verified; cannot ${verb} now`);
  if (fields.token === undefined) {
    throw refuseApproval(`this ${subject}'s decisions are verified: ${verb} needs a signed approval token`);
  }
  const claims = peekApprovalToken(fields.token);
  if (!claims) throw refuseApproval('the token is not a well-formed approval token');
  const { workflowId, runId } = wf.workflowInfo();
  const problem = approvalTokenProblem(claims, { verb, workflowId, runId, nowMs: Date.now() });
  if (problem) throw refuseApproval(problem);
  const tried = ledgerProblem(ledger, claims.jti, Date.now());
  if (tried) throw refuseApproval(tried);
  // No approver can pass for a playbook requester: the approvals service never signs a playbook's name.
  if (isAutomationName(claims.upn)) throw refuseApproval('the token names a playbook or schedule, not a person');
  if (fields.approver !== undefined && fields.approver !== claims.upn) {
    throw refuseApproval("approver does not match the token's signed-in user");
  }
  checkApprover({ ...rules, approver: claims.upn, subject, verb });
  checkDecisionText(verb === 'approve' ? claims.txt || undefined : claims.txt, verb);
  return claims;
}

/**
 * The handler's part: the token's signature checked by the local activity with the tenant's trusted keys. Marks the
 * token used and a decision in flight before its first await, so neither a replay nor a concurrent decision gets in.
 * Throws an `ApprovalRefused` failure saying why (never the token) when the token does not verify.
 */
export async function verifyDecisionToken(args: {
  token: string;
  tenant: string | null;
  ledger: TokenLedger;
}): Promise<{ claims: ApprovalTokenClaims; verified: VerifiedApproval }> {
  const { ledger } = args;
  const peeked = peekApprovalToken(args.token);
  if (peeked) rememberToken(ledger, peeked, Date.now());
  ledger.verifying = true;
  try {
    const verdict = await tokenVerification.verifyApprovalToken({ tenant: args.tenant, token: args.token });
    if (!verdict.ok) throw refuseApproval(`approval token refused: ${verdict.problem}`);
    const { iss, sub, idp, jti } = verdict.claims;
    return { claims: verdict.claims, verified: { iss, sub, idp, jti } };
  } finally {
    ledger.verifying = false;
  }
}

/** The name a verified decision records: the identity provider's, in the form requesters' names are stored in. */
export const verifiedName = (claims: ApprovalTokenClaims): string => deciderName(claims.upn);
