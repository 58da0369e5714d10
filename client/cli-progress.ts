import type { Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { progressQuery, statusQuery, type BulkProgress, type ReleaseStatus } from '../contract/index.js';
import { safe } from './cli-output.js';

const TICK_MS = 1_000;

/**
 * Resolves with the workflow's result; meanwhile calls `onChange` whenever the queried state changes. Queries that
 * fail (no worker yet, workflow just ended) are skipped: progress is a courtesy, the result is what counts.
 */
async function follow<R, S>(
  result: Promise<R>,
  query: () => Promise<S>,
  key: (s: S) => string,
  onChange: (s: S) => void,
): Promise<R> {
  let done = false;
  const settled = result.finally(() => (done = true));
  let last = '';
  while (!done) {
    try {
      const state = await query();
      const k = key(state);
      if (k !== last) {
        last = k;
        onChange(state);
      }
    } catch {
      // not answerable right now
    }
    await Promise.race([settled.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, TICK_MS))]);
  }
  return settled;
}

/** Follows one workflow's progress through a query until its result, calling `onChange` when it changes. */
const following =
  <S>(query: QueryDefinition<S>, key: (s: S) => string) =>
  <R>(client: Client, workflowId: string, result: Promise<R>, onChange: (s: S) => void): Promise<R> => {
    const handle = client.workflow.getHandle(workflowId);
    return follow(result, () => handle.query(query), key, onChange);
  };

export const followRelease = following(statusQuery, (s) => `${s.state} ${s.machineAction?.status ?? ''}`);
export const followBulk = following(progressQuery, (p) => `${p.state} ${JSON.stringify(p.counts)}`);

/** One line per release state, with the next step a person can take. Every value came from the workflow (`safe`). */
export function describeReleaseProgress(s: ReleaseStatus): string {
  switch (s.state) {
    case 'awaiting-approval':
      return safe`awaiting approval by ${s.approval.approvers?.join(' or ') ?? 'anyone but the requester'} until ${s.approval.expiresAt ?? '?'} (defender-isolation approve ${s.workflowId} --by <who>)`;
    case 'confirming':
      return safe`confirming machine action ${s.machineAction?.id ?? '?'}: ${s.machineAction?.status ?? '?'}`;
    default:
      return safe`${s.state}`;
  }
}

export function describeBulkProgress(p: BulkProgress): string {
  const counts = Object.entries(p.counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return safe`${p.state}: ${p.total} machines${counts ? ` (${counts})` : ''}${
    p.state === 'awaiting-approval' && p.targetDigest ? `; targets sha256 ${p.targetDigest.slice(0, 16)}…` : ''
  }`;
}
