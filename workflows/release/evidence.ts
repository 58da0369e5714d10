import { truncate } from '../../contract/bounded-text.js';
import type { IsolationEvidence, MachineCheck, ValidatedReleaseRequest } from '../../contract/index.js';
import type { ReleaseTracker } from './release-tracker.js';

/** The isolating comment is a person's free text from Defender: shown to the approver, kept to this length. */
const MAX_ISOLATION_COMMENT = 1_000;

/** A person decides only when approval is required: a pre-approved release needs no evidence, nor the call it costs. */
export const needsEvidence = (request: ValidatedReleaseRequest) => request.approval.kind === 'required';

/**
 * What an approver weighs, from what the check read: the isolating action (the newest succeeded Isolate) and the
 * device's health. Missing evidence is recorded as unknown, never a reason to fail the release.
 */
export function recordEvidence(release: ReleaseTracker, check: MachineCheck): void {
  release.status.isolation = isolationEvidence(check);
  if (check.device !== undefined) release.status.device = check.device;
}

function isolationEvidence(check: MachineCheck): IsolationEvidence | null {
  const isolate = check.newestSucceeded;
  if (isolate?.type !== 'Isolate') return null;
  return {
    actionId: isolate.id,
    isolatedAt: isolate.lastUpdateAt ?? isolate.createdAt,
    isolatedBy: isolate.requestor,
    comment: isolate.requestorComment === null ? null : truncate(isolate.requestorComment, MAX_ISOLATION_COMMENT),
  };
}
