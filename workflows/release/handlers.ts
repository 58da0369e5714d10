import * as wf from '@temporalio/workflow';
import { actionFinalSignal, approveUpdate, rejectUpdate, statusQuery } from '../../contract/index.js';
import { checkDecision, recordDecision } from './approval.js';
import { acceptWatcherOutcome } from './confirm.js';
import type { ReleaseTracker } from './release-tracker.js';

/** Every message a release answers, registered before its first await so none arrives to a workflow without them. */
export function registerReleaseHandlers(release: ReleaseTracker): void {
  wf.setHandler(statusQuery, () => release.status);
  wf.setHandler(actionFinalSignal, (outcome) => acceptWatcherOutcome(release, outcome));
  wf.setHandler(
    approveUpdate,
    ({ approver, comment }) =>
      recordDecision(release, { decision: 'approved', by: approver.trim(), comment: comment ?? null }),
    { validator: (input) => checkDecision(release, input, 'approve') },
  );
  wf.setHandler(
    rejectUpdate,
    ({ approver, reason }) => recordDecision(release, { decision: 'rejected', by: approver.trim(), comment: reason }),
    { validator: (input) => checkDecision(release, input, 'reject') },
  );
}
