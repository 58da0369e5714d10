import type { Client } from '@temporalio/client';
import {
  DefenderMachineIdAttribute,
  IncidentIdAttribute,
  isEndState,
  RELEASE_STATES,
  RELEASE_WORKFLOW_TYPE,
  ReleaseStateAttribute,
} from '../contract/index.js';

export interface ReleaseListing {
  workflowId: string;
  machineId: string;
  /**
   * Where the release is: its ReleaseState while it runs or once it recorded how it ended; Temporal's status otherwise
   * (`terminated`, `timed-out`, `continued-as-new`, or `failed`/`cancelled`/`completed` for a run that ended without
   * recording it), since the search attribute then still says where the run was when it stopped.
   */
  state: string;
  /** The ReleaseState search attribute as last upserted; null before the first. */
  releaseState: string | null;
  /** Temporal's execution status (RUNNING, COMPLETED, FAILED, TERMINATED…). */
  status: string;
  incidentId: string | null;
  startTime: string;
}

const quote = (value: string) => `"${value.replace(/["\\\\]/g, '')}"`;

/** Closes in which the release itself recorded its end state before the run closed. */
const ENDED_BY_THE_RELEASE: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** The state a listing shows (see `ReleaseListing.state`). */
export function listedState(releaseState: string | null, status: string): string {
  if (status === 'RUNNING') return releaseState ?? 'running';
  if (releaseState !== null && isEndState(releaseState) && ENDED_BY_THE_RELEASE.has(status)) return releaseState;
  return status.toLowerCase().replace(/_/g, '-');
}

/** Releases (running ones first, newest first), filtered through their search attributes (what the Temporal UI's filters use too). */
export async function listReleases(
  client: Client,
  filter: { state?: string; machineId?: string; incidentId?: string; limit?: number } = {},
): Promise<ReleaseListing[]> {
  const clauses = [`WorkflowType = ${quote(RELEASE_WORKFLOW_TYPE)}`];
  if (filter.state) clauses.push(`${ReleaseStateAttribute.name} = ${quote(filter.state)}`);
  // A run that stopped in a running state (terminated, timed out) is not in that state any more.
  if (filter.state && (RELEASE_STATES.running as readonly string[]).includes(filter.state)) {
    clauses.push(`ExecutionStatus = "Running"`);
  }
  if (filter.machineId) clauses.push(`${DefenderMachineIdAttribute.name} = ${quote(filter.machineId.toLowerCase())}`);
  if (filter.incidentId) clauses.push(`${IncidentIdAttribute.name} = ${quote(filter.incidentId)}`);
  const limit = filter.limit ?? 50;
  const rows: ReleaseListing[] = [];
  // No ORDER BY: SQL visibility (the dev server, PostgreSQL without Elasticsearch) refuses it; it lists open runs
  // first, newest first, which is what a person looks for.
  for await (const execution of client.workflow.list({ query: clauses.join(' AND ') })) {
    const attributes = execution.typedSearchAttributes;
    const releaseState = attributes.get(ReleaseStateAttribute) ?? null;
    rows.push({
      workflowId: execution.workflowId,
      machineId: attributes.get(DefenderMachineIdAttribute) ?? '',
      state: listedState(releaseState, execution.status.name),
      releaseState,
      status: execution.status.name,
      incidentId: attributes.get(IncidentIdAttribute) ?? null,
      startTime: execution.startTime.toISOString(),
    });
    if (rows.length >= limit) break;
  }
  return rows;
}
