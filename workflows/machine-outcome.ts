import * as wf from '@temporalio/workflow';
import type { MachineOutcome } from '../contract/index.js';

/**
 * How a release that failed reads in its batch's report. One mapping for both ways a batch learns it: the release's
 * own signal, and the child failure its starter sees. Undefined for anything else (e.g. a workflow task failure,
 * which is retried and ends nothing).
 */
export function outcomeOfFailure(failure: unknown): MachineOutcome | undefined {
  if (wf.isCancellation(failure)) return 'cancelled';
  if (failure instanceof wf.ApplicationFailure) return `failed:${failure.type ?? 'Unknown'}`;
  return undefined;
}
