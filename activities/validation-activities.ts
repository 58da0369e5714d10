import { ApplicationFailure } from '@temporalio/common';
import type { ValidatedReleaseRequest } from '../workflows/definitions.js';
import { InvalidReleaseRequestError, parseReleaseRequest } from './release-request.js';
import { DEFAULT_TENANT } from '../workflows/watcher-definitions.js';

/** Runs a parser; its InvalidReleaseRequestError becomes the non-retryable `InvalidInput` failure workflows end with. */
export function asInvalidInput<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InvalidReleaseRequestError) {
      throw ApplicationFailure.create({
        message: err.message,
        type: 'InvalidInput',
        nonRetryable: true,
        details: [{ fields: err.fields }],
      });
    }
    throw err;
  }
}

/**
 * The tenants this worker holds credentials for. A request naming another one is refused as invalid input before any
 * call, instead of waiting forever on a task queue nobody polls.
 */
export interface TenantDirectory {
  /** Named tenants, and `DEFAULT_TENANT` when the worker has default credentials. */
  names: readonly string[];
}

export function checkTenant(tenant: string | null, directory: TenantDirectory | undefined): void {
  if (!directory) return;
  const name = tenant ?? DEFAULT_TENANT;
  if (directory.names.includes(name)) return;
  const named = directory.names.filter((n) => n !== DEFAULT_TENANT);
  throw new InvalidReleaseRequestError(
    tenant === null
      ? `invalid release request: tenant is required (this worker serves tenants ${named.join(', ')})`
      : `invalid release request: tenant ${JSON.stringify(tenant)} is not configured on this worker` +
          (named.length > 0 ? ` (configured: ${named.join(', ')})` : ''),
    ['tenant'],
  );
}

/** Activities that touch nothing outside the worker; run as local activities. */
export function createValidationActivities(directory?: TenantDirectory) {
  return {
    /** The workflow's first step: the same zod schema the client used, so nothing unvalidated reaches Defender. */
    async validateReleaseRequest(input: { request: unknown }): Promise<ValidatedReleaseRequest> {
      return asInvalidInput(() => {
        const valid = parseReleaseRequest(input.request);
        checkTenant(valid.tenant, directory);
        return valid;
      });
    },
  };
}

export type ValidationActivities = ReturnType<typeof createValidationActivities>;
