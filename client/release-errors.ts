/**
 * What the client helpers throw when Temporal cannot do what was asked, each naming what is missing. `type` is stable
 * (the CLI prints it and maps it to an exit code).
 */
export abstract class ReleaseClientError extends Error {
  abstract readonly type: string;
}

/** A helper waited its whole timeout; the message says what it waited for and why nothing answered, when known. */
export class ReleaseTimeoutError extends ReleaseClientError {
  override readonly name = 'ReleaseTimeoutError';
  readonly type = 'Timeout';
}

/** No worker polls the task queue a release would run on: it would wait, unserved, and nothing would say so. */
export class TaskQueueNotServedError extends ReleaseClientError {
  override readonly name = 'TaskQueueNotServedError';
  readonly type = 'NoWorker';
}

/** A start joined a running release of the machine that runs on another task queue than the one asked for. */
export class TaskQueueMismatchError extends ReleaseClientError {
  override readonly name = 'TaskQueueMismatchError';
  readonly type = 'TaskQueueMismatch';
}

/** The namespace lacks the search attributes a release records (DefenderMachineId, ReleaseState, IncidentId). */
export class SearchAttributesMissingError extends ReleaseClientError {
  override readonly name = 'SearchAttributesMissingError';
  readonly type = 'SearchAttributesMissing';
}

/** An error and its causes, outermost first (at most five): the client wraps the server's reason in its own errors. */
export function causeChain(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = err; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
  return chain;
}
