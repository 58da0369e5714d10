import { log } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { ENDED_MEMO_PREFIX, parseActionOutcome, WATCHER_WORKFLOW_TYPE, type ActionOutcome } from '../contract/index.js';

/**
 * Reads an action's outcome from the memo of the watcher under `handle`, after making sure it is a running watcher of
 * ours (a workflow of another type, or on another task queue, started under the watcher's id is not believed), and
 * that the record was written by its current run: a memo given at start cannot carry a run id nobody knew yet.
 */
export async function readWatcherRecord(
  handle: WorkflowHandle,
  input: { taskQueue: string; actionId: string },
): Promise<ActionOutcome | null> {
  try {
    const watcher = await handle.describe();
    if (watcher.type !== WATCHER_WORKFLOW_TYPE || watcher.taskQueue !== input.taskQueue) {
      log.error('The watcher id is taken by another workflow; its word is not taken', {
        type: watcher.type.slice(0, 100),
      });
      return null;
    }
    if (watcher.status.name !== 'RUNNING') return null;
    const record = watcher.memo?.[ENDED_MEMO_PREFIX + input.actionId.toLowerCase()] as
      { run?: unknown; outcome?: unknown } | undefined;
    if (record?.run !== watcher.runId) return null;
    const outcome = parseActionOutcome(record.outcome);
    return outcome?.action.id.toLowerCase() === input.actionId.toLowerCase() ? outcome : null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}
