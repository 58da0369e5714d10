import type { UpdateDefinition } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import type {
  ApprovalDecision,
  ApprovalVerification,
  ApproveInput,
  RejectInput,
  ValidatedApproval,
} from '../../contract/index.js';
import { checkDecisionText, deciderName, refuseApproval } from './rules.js';
import type { TokenLedger } from './token-ledger.js';
import { verifiedName, verifyDecisionToken, type DecisionFields } from './verified.js';

export type Verb = 'approve' | 'reject';
export type Decision = Omit<ApprovalDecision, 'at' | 'source'>;

/** What a release or a batch does with a decision: checks it (synchronously: a refusal leaves no history), records it. */
export interface DecisionGate<R> {
  check(input: unknown, verb: Verb): void;
  record(decision: Decision): R;
  /** The tenant's rule for decisions, as validation said; undefined before. */
  verification(): ApprovalVerification | undefined;
  /** After an await: that a decision is still taken, and that this approver may take it. Throws a refusal. */
  recheck(verb: Verb, approver: unknown): void;
  tenant(): string | null;
  ledger: TokenLedger;
}

/** The `approve` and `reject` updates of a release or a batch, each with its validator. */
export function registerDecisionUpdates<R, A extends ApproveInput>(
  updates: { approve: UpdateDefinition<R, [A]>; reject: UpdateDefinition<R, [RejectInput]> },
  gate: DecisionGate<R>,
): void {
  wf.setHandler(updates.approve, (input) => decide(gate, input, 'approve'), {
    validator: (input) => gate.check(input, 'approve'),
  });
  wf.setHandler(updates.reject, (input) => decide(gate, input, 'reject'), {
    validator: (input) => gate.check(input, 'reject'),
  });
}

/** A named decision is recorded at once; any other waits for the tenant's rule and, when required, the signature. */
function decide<R>(gate: DecisionGate<R>, fields: DecisionFields, verb: Verb): R | Promise<R> {
  if (gate.verification() === 'off') return gate.record(namedDecision(fields, verb));
  return decideVerified(gate, fields, verb);
}

async function decideVerified<R>(gate: DecisionGate<R>, fields: DecisionFields, verb: Verb): Promise<R> {
  const { ledger } = gate;
  if (gate.verification() === undefined) {
    // A decision sent with the start waits for validation to say the tenant's rule; no other gets in meanwhile.
    ledger.verifying = true;
    try {
      await wf.condition(() => gate.verification() !== undefined);
    } finally {
      ledger.verifying = false;
    }
    if (gate.verification() === 'off') {
      gate.recheck(verb, fields.approver);
      checkDecisionText(verb === 'approve' ? fields.comment : fields.reason, verb);
      return gate.record(namedDecision(fields, verb));
    }
  }
  if (typeof fields.token !== 'string') {
    throw refuseApproval(`decisions here are verified: ${verb} needs a signed approval token`);
  }
  const { claims, verified } = await verifyDecisionToken({ token: fields.token, tenant: gate.tenant(), ledger });
  gate.recheck(verb, claims.upn);
  return gate.record({
    decision: verb === 'approve' ? 'approved' : 'rejected',
    by: verifiedName(claims),
    comment: claims.txt === '' ? null : claims.txt,
    verified,
  });
}

/** A decision by the name it was sent with (verification off): the validator checked it. */
function namedDecision(fields: DecisionFields, verb: Verb): Decision {
  const by = deciderName(fields.approver as string);
  if (verb === 'approve') return { decision: 'approved', by, comment: (fields.comment as string | undefined) ?? null };
  return { decision: 'rejected', by, comment: fields.reason as string };
}

/** The decision a pre-approval records: taken elsewhere (a change ticket, a batch approval), and said so. */
export function preApprovedDecision(approval: Extract<ValidatedApproval, { kind: 'pre-approved' }>): ApprovalDecision {
  return {
    decision: 'approved',
    by: approval.approvedBy,
    at: new Date().toISOString(),
    comment: approval.reason,
    source: 'pre-approved',
  };
}
