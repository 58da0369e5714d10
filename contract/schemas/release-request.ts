import { z } from 'zod';
import { checkIdentity, couldPassFor } from '../identity.js';
import { isMachineId, workflowIdProblem } from '../ids.js';
import type { ApprovalRequest, ReleaseRequest, ValidatedApproval, ValidatedReleaseRequest } from '../release.js';
import { DEFAULT_TENANT, TENANT_NAME } from '../tenancy.js';
import { textProblem } from '../text.js';
import { DAY, duration, SECOND } from './durations.js';
import { formatIssues } from './issues.js';

/**
 * The one schema for a release request. The client helpers and the CLI parse with it before starting a workflow, and
 * the workflow runs it again (as a local activity) as its first step, so a request started by any other client (the
 * stock `temporal` CLI, another SDK) is held to the same rules before anything reaches Defender.
 */

// No control characters, line breaks or bidi overrides: these strings reach logs, the Temporal UI, terminals and
// Defender's audit trail, where a newline forges a second line and an override reorders what is shown.
export const printable = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .superRefine((s, ctx) => {
      const problem = textProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .refine((s) => s.trim().length > 0, 'must not be empty');

/** A requester's or approver's name: refused when it hides or imitates characters, else in its normalised form. */
export const identity = z.string().transform((value, ctx) => {
  const checked = checkIdentity(value);
  if (checked.problem === undefined) return checked.identity;
  // Not fatal: the approval union then reports this branch's issue, not another branch's "unknown field".
  ctx.addIssue({ code: 'custom', message: checked.problem, continue: true });
  return z.NEVER;
});

const preApprovalSchema = z.strictObject({
  preApprovedBy: identity,
  reason: printable(1000),
});

const approvalRequirementSchema = z.strictObject({
  approvers: z
    .array(identity, { error: 'must be a list of names' })
    .min(1, 'must name at least one approver')
    .max(100, 'must name at most 100 approvers')
    .optional(),
  timeout: duration({ min: SECOND, max: 30 * DAY, label: '1s and 30 days' }).optional(),
});

const APPROVAL_FORMS = 'must be an object: either { preApprovedBy, reason } or { approvers?, timeout? }';

/**
 * One of the two forms, told apart by the presence of `preApprovedBy`. A plain union would answer a mistake in either
 * form with zod's bare "Invalid input"; choosing the form first lets its own issues (field and rule) reach the caller.
 */
export const approvalSchema = z
  .custom<ApprovalRequest>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { error: APPROVAL_FORMS })
  .transform((approval, ctx) => {
    const parsed = ('preApprovedBy' in approval ? preApprovalSchema : approvalRequirementSchema).safeParse(approval);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
    return z.NEVER;
  });

const actionSummarySchema = z
  .object({
    id: z.string(),
    type: z.string(),
    status: z.string(),
    machineId: z.string().nullable(),
    requestor: z.string().nullable(),
    requestorComment: z.string().nullable(),
    createdAt: z.string(),
    lastUpdateAt: z.string().nullable(),
    computerDnsName: z.string().nullable(),
  })
  .nullable();

/** The device's health as the batch read it: evidence only, bounded as the activities bound Defender's text. */
const deviceSchema = z
  .strictObject({ healthStatus: z.string().max(50).nullable(), lastSeen: z.string().max(40).nullable() })
  .nullable();

const precheckSchema = z.strictObject({
  computerDnsName: z.string().nullable(),
  newestSucceeded: actionSummarySchema,
  inFlightUnisolate: actionSummarySchema,
  inFlightIsolate: actionSummarySchema,
  device: deviceSchema.optional(),
});

/** A request token: a compact JWS, checked by the validation activity (never echoed in a refusal). */
export const requestTokenSchema = z
  .string({ error: 'must be a request token (a compact JWS) from the approvals page' })
  .max(4096, 'must be at most 4096 characters')
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a request token (a compact JWS)');

export const tenantSchema = z
  .string()
  .regex(TENANT_NAME, 'must be a tenant name (lowercase letters, digits and dashes, at most 40 characters)');

export const releaseRequestSchema = z
  .strictObject({
    machineId: z.string().refine(isMachineId, 'must be a Defender machine id (40 hexadecimal characters)'),
    comment: printable(1000),
    requestedBy: identity,
    requestToken: requestTokenSchema.optional(),
    incidentId: printable(200).optional(),
    approval: approvalSchema.optional(),
    pollInterval: duration({ min: SECOND, max: DAY, label: '1s and 24h' }).optional(),
    deadline: duration({ min: SECOND, max: 30 * DAY, label: '1s and 30 days' }).optional(),
    tenant: tenantSchema.optional(),
    /** Set by a bulk release, which already read the machine and its isolation actions in batches. */
    precheck: precheckSchema.optional(),
    /** Set by a bulk release: its workflow id, where the release reports its outcome. */
    reportTo: z
      .string()
      .refine((id) => workflowIdProblem(id) === null, 'must be a workflow id (letters, digits and ._:@/+=-)')
      .optional(),
  })
  .superRefine(checkFourEyes);

type ApprovalInput = z.output<typeof approvalSchema>;

/**
 * Four-eyes at the door: a pre-approval or an approver list that names only the requester is refused. Names are
 * compared as people see them (case, compatibility forms and look-alike characters folded: `sameIdentity`).
 */
export function checkFourEyes(request: { requestedBy: string; approval?: ApprovalInput }, ctx: z.RefinementCtx): void {
  const requester = request.requestedBy;
  const approval = request.approval;
  // A name refused by `identity` is no name to compare (its issue is already reported).
  if (typeof requester !== 'string') return;
  const same = (name: unknown) => typeof name === 'string' && couldPassFor(name, requester);
  if (approval && 'preApprovedBy' in approval && same(approval.preApprovedBy)) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'preApprovedBy'],
      message: 'must be someone other than requestedBy (four-eyes)',
    });
  }
  if (approval && 'approvers' in approval && approval.approvers?.every(same)) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'approvers'],
      message: 'must name someone other than requestedBy (four-eyes)',
    });
  }
}

export const DEFAULT_APPROVAL_TIMEOUT_MS = DAY;
export const DEFAULT_POLL_INTERVAL_MS = 30 * SECOND;
export const DEFAULT_DEADLINE_MS = 3 * DAY;

export class InvalidReleaseRequestError extends Error {
  override readonly name = 'InvalidReleaseRequestError';
  constructor(
    message: string,
    /** Dotted paths of the offending fields, e.g. `machineId`, `approval.timeout`. */
    readonly fields: string[],
  ) {
    super(message);
  }
}

/**
 * Refuses a workflow id that is not safe to write into Defender's audit trail (`workflowIdProblem`), as invalid input
 * naming `workflowId`. `what` is the request's name in the message: `release request`, `bulk release request`.
 */
export function checkWorkflowId(workflowId: unknown, what: string): void {
  const problem = workflowIdProblem(workflowId);
  if (problem) throw new InvalidReleaseRequestError(`invalid ${what}: workflowId ${problem}`, ['workflowId']);
}

/** Validates and normalises a request, or throws an error whose message names every offending field. */
export function parseReleaseRequest(input: unknown): ValidatedReleaseRequest {
  const parsed = releaseRequestSchema.safeParse(input);
  if (!parsed.success) {
    const { message, fields } = formatIssues(parsed.error, input);
    throw new InvalidReleaseRequestError(`invalid release request: ${message}`, fields);
  }
  const request = parsed.data;
  return {
    machineId: request.machineId.toLowerCase(),
    comment: request.comment,
    requestedBy: request.requestedBy,
    incidentId: request.incidentId?.trim() ?? null,
    approval: normalizeApproval(request.approval),
    pollIntervalMs: request.pollInterval ?? DEFAULT_POLL_INTERVAL_MS,
    deadlineMs: request.deadline ?? DEFAULT_DEADLINE_MS,
    tenant: request.tenant === undefined || request.tenant === DEFAULT_TENANT ? null : request.tenant,
    precheck: request.precheck ?? null,
  };
}

/** The approval with its default timeout (names are already in their normalised form: `identity`). */
export function normalizeApproval(approval: ApprovalInput | undefined): ValidatedApproval {
  return approval && 'preApprovedBy' in approval
    ? { kind: 'pre-approved', approvedBy: approval.preApprovedBy, reason: approval.reason }
    : {
        kind: 'required',
        approvers: approval?.approvers ?? null,
        timeoutMs: approval?.timeout ?? DEFAULT_APPROVAL_TIMEOUT_MS,
      };
}

/** Type-level check that the schema accepts exactly the public input type. */
export type _SchemaMatchesContract = z.input<typeof releaseRequestSchema> extends ReleaseRequest ? true : never;
