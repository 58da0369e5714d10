/**
 * Which tenants a person may see and decide for on the page (APPROVALS_TENANT_GROUPS: tenant → group claim value). An
 * MSSP's approver for one customer neither sees nor decides another's releases. The worker still has the last word:
 * the tenant's verification rule and the keys it trusts.
 */
import { DEFAULT_TENANT } from '../../contract/index.js';
import type { SignedInUser } from './session.js';

/** Tenant name (`default` for the default tenant) → group claim value; null: every tenant, for everyone. */
export type TenantGroups = Readonly<Record<string, string>> | null;

/**
 * Whether `user` may see and decide a tenant's releases. `tenant`: null for the default tenant, undefined when the
 * workflow did not say (it did not answer): with groups configured, a tenant nobody can tell is nobody's.
 */
export function decidesFor(user: SignedInUser, tenant: string | null | undefined, groups: TenantGroups): boolean {
  if (groups === null) return true;
  if (tenant === undefined) return false;
  const name = tenant ?? DEFAULT_TENANT;
  // Own keys only: a tenant named `constructor` must not find Object's.
  const group = Object.hasOwn(groups, name) ? groups[name] : undefined;
  return group !== undefined && (user.groups ?? []).includes(group);
}
