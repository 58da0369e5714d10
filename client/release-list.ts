import type { Client } from '@temporalio/client';
import {
  DefenderMachineIdAttribute,
  IncidentIdAttribute,
  RELEASE_WORKFLOW_TYPE,
  ReleaseStateAttribute,
} from '../contract/index.js';

export interface ReleaseListing {
  workflowId: string;
  machineId: string;
  /** The ReleaseState search attribute; null before the first upsert. */
  state: string | null;
  /** Temporal's execution status (Running, Completed, Failed…). */
  status: string;
  incidentId: string | null;
  startTime: string;
}

const quote = (value: string) => `"${value.replace(/["\\\\]/g, '')}"`;

/** Releases (running ones first, newest first), filtered through their search attributes (what the Temporal UI's filters use too). */
export async function listReleases(
  client: Client,
  filter: { state?: string; machineId?: string; incidentId?: string; limit?: number } = {},
): Promise<ReleaseListing[]> {
  const clauses = [`WorkflowType = ${quote(RELEASE_WORKFLOW_TYPE)}`];
  if (filter.state) clauses.push(`${ReleaseStateAttribute.name} = ${quote(filter.state)}`);
  if (filter.machineId) clauses.push(`${DefenderMachineIdAttribute.name} = ${quote(filter.machineId.toLowerCase())}`);
  if (filter.incidentId) clauses.push(`${IncidentIdAttribute.name} = ${quote(filter.incidentId)}`);
  const limit = filter.limit ?? 50;
  const rows: ReleaseListing[] = [];
  // No ORDER BY: SQL visibility (the dev server, PostgreSQL without Elasticsearch) refuses it; it lists open runs
  // first, newest first, which is what a person looks for.
  for await (const execution of client.workflow.list({ query: clauses.join(' AND ') })) {
    const attributes = execution.typedSearchAttributes;
    rows.push({
      workflowId: execution.workflowId,
      machineId: attributes.get(DefenderMachineIdAttribute) ?? '',
      state: attributes.get(ReleaseStateAttribute) ?? null,
      status: execution.status.name,
      incidentId: attributes.get(IncidentIdAttribute) ?? null,
      startTime: execution.startTime.toISOString(),
    });
    if (rows.length >= limit) break;
  }
  return rows;
}
