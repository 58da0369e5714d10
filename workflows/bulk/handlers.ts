import * as wf from '@temporalio/workflow';
import { bulkApproveUpdate, bulkRejectUpdate, progressQuery, releaseOutcomeSignal } from '../../contract/index.js';
import { registerDecisionUpdates } from '../approval/decisions.js';
import { ignoreUnknownSignals } from '../unknown-signals.js';
import { checkBatchDecision, recheckBatchDecision, recordBatchDecision } from './approval.js';
import type { Batch } from './batch.js';
import type { ReleaseWindow } from './window.js';

/** Every message a batch answers, registered before its first await. */
export function registerBatchHandlers(batch: Batch, window: ReleaseWindow): void {
  wf.setHandler(progressQuery, () => batch.progress());
  wf.setHandler(releaseOutcomeSignal, (report: unknown) => window.noteReport(report));
  ignoreUnknownSignals();
  registerDecisionUpdates(
    { approve: bulkApproveUpdate, reject: bulkRejectUpdate },
    {
      check: (input, verb) => checkBatchDecision(batch, input as never, verb),
      record: (decision) => recordBatchDecision(batch, decision),
      verification: () => batch.verification,
      recheck: (verb, approver) => recheckBatchDecision(batch, verb, approver),
      tenant: () => batch.request.tenant,
      ledger: batch.tokens,
    },
  );
}
