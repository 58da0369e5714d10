/**
 * Search attributes the Temporal UI filters releases by. They are not encoded by the data converter, so they carry only
 * identifiers and states, never comments, secrets or tokens. Plain objects of the SDK's key shape, so that workflow
 * code depends on `@temporalio/workflow` alone.
 */
const keyword = (name: string) => ({ name, type: 'KEYWORD' as const });

export const DefenderMachineIdAttribute = keyword('DefenderMachineId');
export const ReleaseStateAttribute = keyword('ReleaseState');
export const IncidentIdAttribute = keyword('IncidentId');

export const SEARCH_ATTRIBUTES = [DefenderMachineIdAttribute, ReleaseStateAttribute, IncidentIdAttribute] as const;
