/**
 * Releases awaiting a decision, with what an approver needs to decide: found through Temporal visibility (the
 * ReleaseState search attribute), then each one's `status` query and memo (the requester's comment).
 */
import type { Client } from '@temporalio/client';
import { getReleaseStatus } from '../../client/release-client.js';
import { RELEASE_WORKFLOW_TYPE, type ReleaseStatus } from '../../contract/index.js';
import { listedRun, listRuns, type ListedRun } from './listed-runs.js';

export interface AwaitingRelease extends ListedRun {
  /** Null when the release did not answer in time (no worker on its queue): listed, but not decidable here. */
  status: ReleaseStatus | null;
}

const AWAITING_QUERY =
  `WorkflowType = "${RELEASE_WORKFLOW_TYPE}" AND ExecutionStatus = "Running" AND ` +
  `ReleaseState = "awaiting-approval"`;
/** A page lists at most this many: a longer queue is a problem a list would not solve. */
const LIMIT = 50;
/** A release whose worker does not answer must not hold the page. */
const STATUS_TIMEOUT_MS = 3_000;

export async function listAwaitingReleases(client: Client): Promise<AwaitingRelease[]> {
  const found = await listRuns(client, AWAITING_QUERY, LIMIT);
  return Promise.all(found.map(async (release) => ({ ...release, status: await statusOrNull(client, release) })));
}

/** One release's current run and status, for a decision or its progress; null when Temporal knows no such release. */
export async function readRelease(client: Client, workflowId: string): Promise<AwaitingRelease | null> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    // A batch or any other workflow is no release, whatever its id says: it has no status to decide by.
    if (description.type !== RELEASE_WORKFLOW_TYPE) return null;
    const release = listedRun(description);
    return { ...release, status: await statusOrNull(client, release) };
  } catch {
    return null;
  }
}

async function statusOrNull(client: Client, release: { workflowId: string }): Promise<ReleaseStatus | null> {
  return getReleaseStatus(client, release.workflowId, { timeoutMs: STATUS_TIMEOUT_MS }).catch(() => null);
}
