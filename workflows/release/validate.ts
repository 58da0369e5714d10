import * as wf from '@temporalio/workflow';
import { ReleaseFailureType, type ValidatedReleaseRequest } from '../../contract/index.js';
import { validation } from './activities.js';
import type { ReleaseTracker } from './release-tracker.js';

/**
 * Step 1: the request, held to the same schema the client applies, whoever started the workflow (the stock `temporal`
 * CLI, another SDK): an invalid one ends `invalid-input` before anything reaches Defender.
 */
export async function validate(release: ReleaseTracker): Promise<ValidatedReleaseRequest> {
  try {
    const parent = wf.workflowInfo().parent;
    const { approvalVerification, nudgeChannels, ...request } = await validation.validateReleaseRequest({
      request: release.input,
      parent: parent ? { workflowId: parent.workflowId, runId: parent.runId } : null,
    });
    release.accept(request, approvalVerification);
    release.nudgeChannels = nudgeChannels ?? [];
    return request;
  } catch (err) {
    // Local activity failures may arrive wrapped in an ActivityFailure or as the ApplicationFailure itself.
    const cause = err instanceof wf.ActivityFailure ? err.cause : err;
    if (cause instanceof wf.ApplicationFailure && cause.type === ReleaseFailureType.InvalidInput) {
      release.end('invalid-input', ReleaseFailureType.InvalidInput, cause.message, cause.details?.[0]);
    }
    throw err;
  }
}
