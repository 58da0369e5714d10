import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  DEFAULT_TENANT,
  ReleaseFailureType,
  type ApprovalVerification,
  type NudgeChannel,
  type ValidatedBulkRequest,
  type ValidatedReleaseRequest,
} from '../contract/index.js';
import { quoteName } from '../contract/bounded-text.js';
import {
  checkWorkflowId,
  InvalidReleaseRequestError,
  parseBulkRequest,
  parseReleaseRequest,
} from '../contract/schemas/index.js';
import { verificationOf, type TenantApproval } from './approval-tokens.js';
import {
  checkBatchPreApproval,
  checkParentBatch,
  checkPreApproval,
  parentBatchLookup,
  type ParentExecution,
} from './parent-batch.js';
import { proveRequester } from './requester.js';

/**
 * The tenants this worker holds credentials for. A request naming another one is refused as invalid input before any
 * call, instead of waiting forever on a task queue nobody polls.
 */
export interface TenantDirectory {
  /** Named tenants, and `DEFAULT_TENANT` when the worker has default credentials. */
  names: readonly string[];
  /** Per tenant, its hourly Defender budget as an interval: how often its watcher may poll at most. */
  watchFloorMs?: Readonly<Record<string, number>>;
  /** Per tenant, how its decisions are proven (verified approval tokens or named approvals); absent: named. */
  approval?: Readonly<Record<string, TenantApproval>>;
  /** Per tenant, the names of its nudge channels (never their URLs, which only the nudge activity holds). */
  nudge?: Readonly<Record<string, readonly NudgeChannel[]>>;
}

/**
 * A validated request, the rule its tenant's decisions meet and the channels that nudge its approvers: the workflow
 * learns both from here, not from its input. No channel: the field is left out, so the result (recorded in history)
 * is the same as before nudges existed.
 */
export type WithVerification<T> = T & { approvalVerification: ApprovalVerification; nudgeChannels?: NudgeChannel[] };

function withVerification<T extends { tenant: string | null }>(
  valid: T,
  directory: TenantDirectory | undefined,
): WithVerification<T> {
  const tenant = valid.tenant ?? DEFAULT_TENANT;
  const channels = directory?.nudge && Object.hasOwn(directory.nudge, tenant) ? directory.nudge[tenant] : undefined;
  return {
    ...valid,
    approvalVerification: verificationOf(directory?.approval?.[tenant]),
    ...(channels && channels.length > 0 ? { nudgeChannels: [...channels] } : {}),
  };
}

/** Runs a parser; its InvalidReleaseRequestError becomes the non-retryable `InvalidInput` failure workflows end with. */
async function asInvalidInput<T>(parse: () => T | Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (err) {
    if (err instanceof InvalidReleaseRequestError) {
      throw ApplicationFailure.create({
        message: err.message,
        type: ReleaseFailureType.InvalidInput,
        nonRetryable: true,
        details: [{ fields: err.fields }],
      });
    }
    throw err;
  }
}

export function checkTenant(tenant: string | null, directory: TenantDirectory | undefined): void {
  if (!directory) return;
  const name = tenant ?? DEFAULT_TENANT;
  if (directory.names.includes(name)) return;
  const named = directory.names.filter((n) => n !== DEFAULT_TENANT);
  throw new InvalidReleaseRequestError(
    tenant === null
      ? `invalid release request: tenant is required (this worker serves tenants ${named.join(', ')})`
      : `invalid release request: tenant ${quoteName(tenant)} is not configured on this worker` +
          (named.length > 0 ? ` (configured: ${named.join(', ')})` : ''),
    ['tenant'],
  );
}

/** What proving the requester needs: the name, the token as sent (never in the validated request), the rule. */
function requesterOf(
  request: unknown,
  verified: WithVerification<{ requestedBy: string; tenant: string | null }>,
  directory: TenantDirectory | undefined,
) {
  return {
    requestedBy: verified.requestedBy,
    requestToken: (request as { requestToken?: unknown }).requestToken,
    verification: verified.approvalVerification,
    approval: directory?.approval?.[verified.tenant ?? DEFAULT_TENANT],
  };
}

/** The id of the workflow this local activity validates for, which goes into Defender's audit trail. */
const callerWorkflowId = () => activityInfo().workflowExecution?.workflowId;

/**
 * The workflows' first step, as local activities: the workflow's own id (whoever chose it), the same zod schemas the
 * client used, and the tenant checked against this worker's, so that nothing unvalidated reaches Defender whoever
 * started the workflow.
 */
export function createValidation(directory?: TenantDirectory) {
  return {
    async validateReleaseRequest(input: {
      request: unknown;
      parent?: ParentExecution | null;
    }): Promise<WithVerification<ValidatedReleaseRequest>> {
      return asInvalidInput(async () => {
        checkWorkflowId(callerWorkflowId(), 'release request');
        const valid = parseReleaseRequest(input.request);
        checkTenant(valid.tenant, directory);
        const parent = input.parent ?? null;
        const isParentBatch = parentBatchLookup(parent, activityInfo().taskQueue);
        await checkParentBatch({ request: input.request, parent, isParentBatch });
        const verified = withVerification(valid, directory);
        await checkPreApproval({
          preApproved: valid.approval.kind === 'pre-approved',
          verification: verified.approvalVerification,
          isParentBatch,
        });
        const proven = await proveRequester({
          ...requesterOf(input.request, verified, directory),
          what: 'release request',
          fromBatch: isParentBatch,
        });
        return proven ? { ...verified, ...proven } : verified;
      });
    },

    async validateBulkRequest(input: { request: unknown }): Promise<WithVerification<ValidatedBulkRequest>> {
      return asInvalidInput(async () => {
        checkWorkflowId(callerWorkflowId(), 'bulk release request');
        const valid = parseBulkRequest(input.request);
        checkTenant(valid.tenant, directory);
        const verified = withVerification(valid, directory);
        checkBatchPreApproval(valid.approval.kind === 'pre-approved', verified.approvalVerification);
        const proven = await proveRequester({
          ...requesterOf(input.request, verified, directory),
          what: 'bulk release request',
          fromBatch: () => Promise.resolve(false),
        });
        return proven ? { ...verified, ...proven } : verified;
      });
    },
  };
}

export type Validation = ReturnType<typeof createValidation>;
