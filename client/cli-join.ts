/** What `release` says when it joined a running release instead of starting one. */
import type { WorkflowHandle } from '@temporalio/client';
import { ReleaseStateAttribute, type ReleaseRequest } from '../contract/index.js';
import { safe } from './cli-output.js';

export interface JoinedRelease {
  /** The running release, as its memo and search attribute say: whose it is, for which incident, where it is. */
  running: { requestedBy: string | null; incidentId: string | null; state: string | null };
  /** The fields of this request that the running release did not take (it runs with its own request). */
  notApplied: string[];
}

/** The request's fields a join leaves unapplied, in the order the help lists them. */
const REQUEST_FIELDS = [
  'requestedBy',
  'comment',
  'incidentId',
  'approval',
  'pollInterval',
  'deadline',
  'tenant',
] as const satisfies readonly (keyof ReleaseRequest)[];

export async function joinedRelease(handle: WorkflowHandle, request: ReleaseRequest): Promise<JoinedRelease> {
  const description = await handle.describe();
  const memo = description.memo ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    running: {
      requestedBy: text(memo.requestedBy),
      incidentId: text(memo.incidentId),
      state: description.typedSearchAttributes.get(ReleaseStateAttribute) ?? null,
    },
    notApplied: REQUEST_FIELDS.filter((field) => request[field] !== undefined),
  };
}

/** One line for people; what came from the running release is server data (`safe`). */
export function joinedLine(workflowId: string, { running, notApplied }: JoinedRelease): string {
  const incident = running.incidentId ? safe` for incident ${running.incidentId}` : '';
  return (
    safe`Joined the running release ${workflowId}, requested by ${running.requestedBy ?? '?'}` +
    `${incident} ` +
    safe`(state ${running.state ?? '?'}); not applied from this request: ${notApplied.join(', ')}`
  );
}
