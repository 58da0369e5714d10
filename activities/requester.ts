import { activityInfo } from '@temporalio/activity';
import {
  checkIdentity,
  isAutomationName,
  MAX_APPROVAL_TOKEN_LIFETIME_S,
  peekRequestToken,
  sameIdentity,
  type ApprovalVerification,
  type VerifiedRequester,
} from '../contract/index.js';
import { InvalidReleaseRequestError } from '../contract/schemas/index.js';
import { verifySignedToken, type TenantApproval } from './approval-tokens.js';

/** Who asks, once proven: the name to record (the token's) and the proof; null when no proof is asked for. */
export interface ProvenRequester {
  requestedBy: string;
  requester: VerifiedRequester;
}

const refuse = (what: string, rule: string) =>
  new InvalidReleaseRequestError(`invalid ${what}: requestToken ${rule}`, ['requestToken']);

/**
 * Four-eyes compares the approver's verified name with the requester's, so the requester must be proven too where the
 * tenant requires verified approvals: a person's request carries a request token from the approvals page, minted for
 * this workflow id and naming `requestedBy`. Automation (`playbook:…`, `schedule:…`) needs none (no approver can pass
 * for it: the page never signs such a name), nor a release a bulk release started (its batch's requester was
 * checked). Refusals name the rule, never the token.
 */
export async function proveRequester(args: {
  what: 'release request' | 'bulk release request';
  requestedBy: string;
  requestToken: unknown;
  verification: ApprovalVerification;
  approval: TenantApproval | undefined;
  fromBatch: () => Promise<boolean>;
}): Promise<ProvenRequester | null> {
  const { what, requestedBy, requestToken } = args;
  if (args.verification !== 'required' || isAutomationName(requestedBy)) return null;
  if (requestToken === undefined) {
    if (await args.fromBatch()) return null;
    throw refuse(
      what,
      'is required: requestedBy names a person and this tenant requires verified approvals (sign in to request, ' +
        'or name a playbook as playbook:<name>)',
    );
  }
  const verdict = await verifySignedToken(String(requestToken), args.approval, peekRequestToken, 'a request token');
  if (!verdict.ok) throw refuse(what, `was refused: ${verdict.problem}`);
  const { claims } = verdict;
  if (claims.exp - claims.iat > MAX_APPROVAL_TOKEN_LIFETIME_S) {
    throw refuse(what, `was refused: the token's lifetime exceeds ${MAX_APPROVAL_TOKEN_LIFETIME_S} s`);
  }
  if (claims.wid !== activityInfo().workflowExecution?.workflowId) {
    throw refuse(what, 'was refused: the token was minted for another workflow');
  }
  const upn = checkIdentity(claims.upn).identity;
  if (upn === undefined || !sameIdentity(upn, requestedBy)) {
    throw refuse(what, 'was refused: the token names another person than requestedBy');
  }
  const { iss, sub, idp, jti } = claims;
  return { requestedBy: upn, requester: { verified: true, iss, sub, idp, jti } };
}
