import * as wf from '@temporalio/workflow';
import { ENDED_MEMO_PREFIX, type EndedAction, type EndedRecord } from '../../contract/index.js';

/**
 * Writes outcomes the watcher read to its memo, and clears others: where a nudged release checks what it was told. A
 * memo is written only by the workflow itself; each record carries this run's id, which no starter can know.
 */
export function publishEnded(recorded: EndedAction[], cleared: string[] = []): void {
  if (recorded.length === 0 && cleared.length === 0) return;
  const run = wf.workflowInfo().runId;
  const memo: Record<string, EndedRecord | undefined> = {};
  for (const id of cleared) memo[ENDED_MEMO_PREFIX + id] = undefined;
  for (const { outcome } of recorded) memo[ENDED_MEMO_PREFIX + outcome.action.id.toLowerCase()] = { run, outcome };
  wf.upsertMemo(memo);
}

/** A run's start: the records it carries over, under its own run id; any other record in its memo is cleared. */
export function republishEnded(carried: EndedAction[]): void {
  const inMemo = Object.keys(wf.workflowInfo().memo ?? {}).filter((key) => key.startsWith(ENDED_MEMO_PREFIX));
  publishEnded(
    carried,
    inMemo.map((key) => key.slice(ENDED_MEMO_PREFIX.length)),
  );
}
