import * as wf from '@temporalio/workflow';
import { bulkApproveUpdate, bulkRejectUpdate, progressQuery, releaseOutcomeSignal } from '../../contract/index.js';
import { checkBatchDecision, recordBatchDecision } from './approval.js';
import type { Batch } from './batch.js';
import type { ReleaseWindow } from './window.js';

/** Every message a batch answers, registered before its first await. */
export function registerBatchHandlers(batch: Batch, window: ReleaseWindow): void {
  wf.setHandler(progressQuery, () => batch.progress());
  wf.setHandler(releaseOutcomeSignal, ({ machineId, outcome }) => window.settle(machineId, outcome));
  wf.setHandler(
    bulkApproveUpdate,
    ({ approver, comment }) =>
      recordBatchDecision(batch, { decision: 'approved', by: approver.trim(), comment: comment ?? null }),
    { validator: (input) => checkBatchDecision(batch, input, 'approve') },
  );
  wf.setHandler(
    bulkRejectUpdate,
    ({ approver, reason }) =>
      recordBatchDecision(batch, { decision: 'rejected', by: approver.trim(), comment: reason }),
    { validator: (input) => checkBatchDecision(batch, input, 'reject') },
  );
}
