import * as wf from '@temporalio/workflow';
import { actionFinalSignal, approveUpdate, rejectUpdate, statusQuery } from '../../contract/index.js';
import { registerDecisionUpdates } from '../approval/decisions.js';
import { checkDecision, recordDecision } from './approval.js';
import { ignoreUnknownSignals } from '../unknown-signals.js';
import { noteFinalNudge } from './confirm.js';
import type { ReleaseTracker } from './release-tracker.js';

/** Every message a release answers, registered before its first await so none arrives to a workflow without them. */
export function registerReleaseHandlers(release: ReleaseTracker): void {
  wf.setHandler(statusQuery, () => release.status);
  wf.setHandler(actionFinalSignal, (notice: unknown) => noteFinalNudge(release, notice));
  ignoreUnknownSignals();
  registerDecisionUpdates(
    { approve: approveUpdate, reject: rejectUpdate },
    {
      check: (input, verb) => checkDecision(release, input, verb),
      record: (decision) => recordDecision(release, decision),
    },
  );
}
