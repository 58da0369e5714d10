import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { PROJECT_ROOT } from '../../worker/paths.js';

export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
/**
 * Histories are kept per workflow version: v1 (each Defender activity on the workflow task queue, polling by activity
 * retries), v2 (the shared API budget and the watcher), v3 (lean history: the machine checked with one list call,
 * no TimerCanceled after confirmation), v4 (bulk sliding window: a batch's releases report their outcome by signal
 * and outlive a run of the batch), v5 (the watcher delivers outcomes with a local activity per batch; a batch
 * looks up the releases that ended without reporting) and v6 (cancelling a batch ends its wait on earlier runs'
 * releases). New recordings go to the current version's folder.
 */
export const CURRENT_HISTORY_SET = 'v6';

/**
 * With RECORD_HISTORIES=1 (`npm run histories:record`), saves the workflow's history as a replay fixture. Re-record
 * only for a deliberate, versioned change of the workflow; otherwise the replay test must pass on the old histories.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  const dir = path.join(HISTORIES_DIR, CURRENT_HISTORY_SET);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), historyToJSON(history));
}
