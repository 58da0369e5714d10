/** Identifiers of the contract: what a caller may name a machine, and the workflow ids derived from it. */
import { codePoint } from './text.js';

const MACHINE_ID = /^[0-9a-fA-F]{40}$/;
export const MAX_WORKFLOW_ID_LENGTH = 255;
// What our ids are made of (`release-<hex>`, `bulk-release-<time>`, a schedule's `bulk-<id>-<RFC 3339 time>`), and
// what e-mail-like or path-like business ids need. No space, bracket or control: the id goes into Defender's comment.
const WORKFLOW_ID_CHARACTER = /^[A-Za-z0-9._:@/+=-]$/;

/** A Defender machine id: 40 hexadecimal characters (any case; the contract normalises to lower case). */
export function isMachineId(value: unknown): value is string {
  return typeof value === 'string' && MACHINE_ID.test(value);
}

/** `release-<machineId>`: one release per machine at a time, so duplicate triggers join it. */
export function releaseWorkflowId(machineId: string): string {
  return `release-${machineId.toLowerCase()}`;
}

/**
 * Why a workflow id is refused, or null. A release writes its id into Defender's audit trail (`correlationTag`), so an
 * id with `]`, a newline or an escape could forge a second tag there: releases and batches refuse one as `InvalidInput`
 * before any call, and the client helpers before starting.
 */
export function workflowIdProblem(workflowId: unknown): string | null {
  if (typeof workflowId !== 'string' || workflowId === '') return 'must be a non-empty string';
  if (workflowId.length > MAX_WORKFLOW_ID_LENGTH) return `must be at most ${MAX_WORKFLOW_ID_LENGTH} characters`;
  const bad = [...workflowId].find((character) => !WORKFLOW_ID_CHARACTER.test(character));
  return bad === undefined ? null : `must contain only letters, digits and ._:@/+=- (${codePoint(bad)})`;
}

/** A release's tag in Defender's audit trail: workflow id and run, so an earlier release is never mistaken for it. */
export function correlationTag(workflowId: string, runId: string): string {
  return `[defender-isolation ${workflowId} ${runId.slice(0, 8)}]`;
}
