import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

/**
 * Search attributes the Temporal UI filters releases by. They are not encoded by the data converter, so they carry only
 * identifiers and states, never comments, secrets or tokens. Plain objects (not `defineSearchAttributeKey`) so that
 * workflow code depends on `@temporalio/workflow` alone.
 */
const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

export const DefenderMachineIdAttribute = keyword('DefenderMachineId');
export const ReleaseStateAttribute = keyword('ReleaseState');
export const IncidentIdAttribute = keyword('IncidentId');

export const SEARCH_ATTRIBUTES = [DefenderMachineIdAttribute, ReleaseStateAttribute, IncidentIdAttribute] as const;
