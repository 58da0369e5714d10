import { ApplicationFailure } from '@temporalio/common';
import type { ValidatedReleaseRequest } from '../workflows/definitions.js';
import { InvalidReleaseRequestError, parseReleaseRequest } from './release-request.js';

/** Activities that touch nothing outside the worker; run as local activities. */
export const validationActivities = {
  /** The workflow's first step: the same zod schema the client used, so nothing unvalidated reaches Defender. */
  async validateReleaseRequest(input: { request: unknown }): Promise<ValidatedReleaseRequest> {
    try {
      return parseReleaseRequest(input.request);
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
  },
};

export type ValidationActivities = typeof validationActivities;
