import { WorkflowNotFoundError } from '@temporalio/client';
import { TemporalConnectionError, TemporalNamespaceError } from './cli-connection.js';
import { CliUsageError, EXIT, safe, safeJson, type Io } from './cli-output.js';
import { InvalidReleaseRequestError, ReleaseUpdateRefusedError } from './release-client.js';
import { ReleaseClientError } from './release-errors.js';
import { VerifiedDecisionError } from './approvals-page-api.js';

/**
 * Every error of every command, mapped once to an exit code and a message. Errors go to stderr always (a JSON error
 * object with --json), so that stdout carries results only and a playbook never parses an error as one.
 */
export function reportError(err: unknown, io: Io, json: boolean, help?: string): number {
  const report = (code: number, type: string, message: string) => {
    if (json) io.err(safeJson({ error: { type, message } }));
    // A refusal or failure message comes from the workflow or the server; the CLI's own usage text is shown as it is.
    else io.err(type === 'UsageError' ? message : safe`${type}: ${message}`);
    return code;
  };
  if (err instanceof CliUsageError) return report(EXIT.usage, 'UsageError', err.message);
  if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
    return report(EXIT.usage, 'UsageError', help ? `${err.message}\n\n${help}` : err.message);
  }
  if (err instanceof InvalidReleaseRequestError) return report(EXIT.usage, 'InvalidInput', err.message);
  if (err instanceof ReleaseUpdateRefusedError) return report(EXIT.refused, 'Refused', err.message);
  // A verified decision's refusal, by the approvals page (its type) or before it (sign-in, unreachable).
  if (err instanceof VerifiedDecisionError) return report(err.exit, err.type, err.message);
  if (err instanceof WorkflowNotFoundError)
    return report(EXIT.notFound, 'NotFound', `no release ${err.workflowId ?? ''}`.trim());
  // No worker on the task queue, a join on another queue, missing search attributes, no answer in time: named.
  if (err instanceof ReleaseClientError) return report(EXIT.error, err.type, err.message);
  if (err instanceof TemporalConnectionError) return report(EXIT.error, 'ConnectionFailed', err.message);
  if (err instanceof TemporalNamespaceError) return report(EXIT.error, 'NamespaceNotFound', err.message);
  if (err instanceof Error && err.name === 'ScheduleNotFoundError')
    return report(EXIT.notFound, 'NotFound', err.message);
  return report(EXIT.error, 'Error', err instanceof Error ? err.message : String(err));
}
