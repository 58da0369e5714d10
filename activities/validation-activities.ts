import { ApplicationFailure } from '@temporalio/common';
import type { ValidatedReleaseRequest } from '../workflows/definitions.js';
import { InvalidReleaseRequestError, parseReleaseRequest } from './release-request.js';

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

/** Activities that touch nothing outside the worker; run as local activities. */
export const validationActivities = {
  /** The workflow's first step: the same zod schema the client used, so nothing unvalidated reaches Defender. */
  async validateReleaseRequest(input: { request: unknown }): Promise<ValidatedReleaseRequest> {
    return asInvalidInput(() => parseReleaseRequest(input.request));
  },
};

export type ValidationActivities = typeof validationActivities;
