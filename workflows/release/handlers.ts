import * as wf from '@temporalio/workflow';
import {
  actionFinalSignal,
  approveUpdate,
  cancelReleaseUpdate,
  rejectUpdate,
  statusQuery,
} from '../../contract/index.js';
import { registerDecisionUpdates } from '../approval/decisions.js';
import { checkDecision, recheckDecision, recordDecision } from './approval.js';
import { checkCancellation, recordCancellation } from './cancel-request.js';
import { ignoreUnknownSignals } from '../unknown-signals.js';
import { noteFinalNudge } from './confirm.js';
import type { ReleaseTracker } from './release-tracker.js';

/**
 * Every message a release answers, registered before its first await so none arrives to a workflow without them.
 * `steps` is the scope the release's steps run in, which `cancelRelease` cancels.
 */
export function registerReleaseHandlers(release: ReleaseTracker, steps: wf.CancellationScope): void {
  wf.setHandler(statusQuery, () => release.status);
  wf.setHandler(actionFinalSignal, (notice: unknown) => noteFinalNudge(release, notice));
  ignoreUnknownSignals();
  registerDecisionUpdates(
    { approve: approveUpdate, reject: rejectUpdate },
    {
      check: (input, verb) => checkDecision(release, input, verb),
      record: (decision) => recordDecision(release, decision),
      verification: () => release.verification,
      recheck: (verb, approver) => recheckDecision(release, verb, approver),
      tenant: () => release.request.tenant,
      ledger: release.tokens,
    },
  );
  wf.setHandler(cancelReleaseUpdate, (input) => recordCancellation(release, steps, input), {
    validator: (input) => checkCancellation(release, input),
  });
}
