import { z } from 'zod';
import { MAX_BULK_TARGETS, type BulkReleaseRequest, type ValidatedBulkRequest } from '../bulk.js';
import { isMachineId } from '../ids.js';
import { DEFAULT_TENANT } from '../tenancy.js';
import { DAY, duration } from './durations.js';
import { formatIssues } from './issues.js';
import {
  approvalSchema,
  checkFourEyes,
  identity,
  InvalidReleaseRequestError,
  normalizeApproval,
  printable,
  requestTokenSchema,
  tenantSchema,
} from './release-request.js';

export const bulkRequestSchema = z
  .strictObject({
    machineIds: z
      .array(z.string().refine(isMachineId, 'must be Defender machine ids (40 hexadecimal characters)'))
      .min(1, 'must name at least one machine')
      .max(MAX_BULK_TARGETS, `must name at most ${MAX_BULK_TARGETS} machines`)
      .optional(),
    selector: z
      .strictObject({
        machineTag: printable(200).optional(),
        deviceGroup: printable(200).optional(),
        isolatedLongerThan: duration({ min: 60_000, max: 365 * DAY, label: '1m and 365 days' }).optional(),
      })
      .refine((s) => Object.values(s).some((v) => v !== undefined), 'needs at least one criterion')
      .optional(),
    comment: printable(1000),
    requestedBy: identity,
    requestToken: requestTokenSchema.optional(),
    incidentId: printable(200).optional(),
    approval: approvalSchema.optional(),
    dryRun: z.boolean().optional(),
    concurrency: z.number().int().min(1).max(500).optional(),
    pollInterval: duration({ min: 1_000, max: DAY, label: '1s and 24h' }).optional(),
    deadline: duration({ min: 1_000, max: 30 * DAY, label: '1s and 30 days' }).optional(),
    tenant: tenantSchema.optional(),
  })
  .superRefine((request, ctx) => {
    if (!request.machineIds === !request.selector) {
      ctx.addIssue({
        code: 'custom',
        path: ['machineIds'],
        message: 'give either machineIds or a selector (not both)',
      });
    }
    checkFourEyes(request, ctx);
  });

/** Validates a bulk request, or throws an error naming every offending field. Durations stay in the original form
 * for the child releases, which validate them again. */
export function parseBulkRequest(input: unknown): ValidatedBulkRequest {
  const parsed = bulkRequestSchema.safeParse(input);
  if (!parsed.success) {
    const { message, fields } = formatIssues(parsed.error, input);
    throw new InvalidReleaseRequestError(`invalid bulk release request: ${message}`, fields);
  }
  const r = parsed.data;
  const raw = input as BulkReleaseRequest;
  return {
    machineIds: r.machineIds ? [...new Set(r.machineIds.map((id) => id.toLowerCase()))] : null,
    selector: r.selector
      ? {
          machineTag: r.selector.machineTag ?? null,
          deviceGroup: r.selector.deviceGroup ?? null,
          isolatedLongerThanMs: r.selector.isolatedLongerThan ?? null,
        }
      : null,
    comment: r.comment,
    requestedBy: r.requestedBy,
    incidentId: r.incidentId?.trim() ?? null,
    approval: normalizeApproval(r.approval),
    dryRun: r.dryRun ?? false,
    concurrency: r.concurrency ?? 50,
    pollInterval: String(raw.pollInterval ?? '30s'),
    pollIntervalMs: r.pollInterval ?? 30_000,
    deadline: String(raw.deadline ?? '72h'),
    tenant: r.tenant === undefined || r.tenant === DEFAULT_TENANT ? null : r.tenant,
  };
}
