/** Identifiers of the contract: what a caller may name a machine, and the workflow ids derived from it. */

const MACHINE_ID = /^[0-9a-fA-F]{40}$/;

/** A Defender machine id: 40 hexadecimal characters (any case; the contract normalises to lower case). */
export function isMachineId(value: unknown): value is string {
  return typeof value === 'string' && MACHINE_ID.test(value);
}

/** `release-<machineId>`: one release per machine at a time, so duplicate triggers join it. */
export function releaseWorkflowId(machineId: string): string {
  return `release-${machineId.toLowerCase()}`;
}

/** A release's tag in Defender's audit trail: workflow id and run, so an earlier release is never mistaken for it. */
export function correlationTag(workflowId: string, runId: string): string {
  return `[defender-isolation ${workflowId} ${runId.slice(0, 8)}]`;
}
