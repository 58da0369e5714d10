import { z } from 'zod';
import { MAX_CANCEL_REASON } from '../messages.js';
import type { CancelReleaseInput } from '../release.js';
import { formatIssues } from './issues.js';
import { identity, InvalidReleaseRequestError, printable } from './release-request.js';

/**
 * A `cancelRelease` request as clients parse it before sending: `by` with the identity schema approvers are parsed with,
 * `reason` as free text. The workflow's validator holds it to the same rules (`parseCancelRequest`).
 */
export const cancelReleaseSchema = z.strictObject({
  by: identity,
  reason: printable(MAX_CANCEL_REASON),
});

/** The request with `by` in its normalised form, or InvalidReleaseRequestError naming each offending field. */
export function parseCancelRelease(input: unknown): CancelReleaseInput {
  const parsed = cancelReleaseSchema.safeParse(input);
  if (!parsed.success) {
    const { message, fields } = formatIssues(parsed.error, input);
    throw new InvalidReleaseRequestError(`invalid cancellation: ${message}`, fields);
  }
  return parsed.data;
}

/** Type-level check that the schema accepts exactly the public input type. */
export type _CancelSchemaMatchesContract =
  z.input<typeof cancelReleaseSchema> extends CancelReleaseInput ? true : never;
