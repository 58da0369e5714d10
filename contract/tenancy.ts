/**
 * Where a tenant's work runs. Every Defender call of a tenant is an activity on that tenant's API task queue, whose
 * server-side rate limit is the tenant's Defender budget; one watcher per tenant follows its machine actions.
 */

/** The tenant of requests that name none: the worker's `DEFENDER_*` credentials. */
export const DEFAULT_TENANT = 'default';

/** A tenant name as configured on the worker: it becomes part of task queue and workflow ids. */
export const TENANT_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

const isNamedTenant = (tenant: string | null | undefined): tenant is string =>
  tenant !== undefined && tenant !== null && tenant !== DEFAULT_TENANT;

/** `<taskQueue>-api` for the default tenant, `<taskQueue>-api-<tenant>` for a named one. */
export function apiTaskQueue(taskQueue: string, tenant?: string | null): string {
  return `${taskQueue}-api${isNamedTenant(tenant) ? `-${tenant}` : ''}`;
}

export const WATCHER_ID_PREFIX = 'defender-action-watcher-';

/** One watcher per workflow task queue and tenant. */
export function watcherWorkflowId(taskQueue: string, tenant?: string | null): string {
  return `${WATCHER_ID_PREFIX}${taskQueue}${isNamedTenant(tenant) ? `-${tenant}` : ''}`;
}
