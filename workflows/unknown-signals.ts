import * as wf from '@temporalio/workflow';

/** Logged per run, so that a flood of junk signals cannot flood the logs too. */
const LOGGED_PER_RUN = 10;

/**
 * Signals of names a workflow does not handle are dropped instead of buffered in the worker's memory until a handler
 * appears (none ever will). The server records every signal it accepts; it caps how many one run may receive
 * (`history.maximumSignalsPerExecution`, docs/operations.md).
 */
export function ignoreUnknownSignals(onIgnored?: () => void): void {
  let ignored = 0;
  wf.setDefaultSignalHandler((name) => {
    ignored += 1;
    onIgnored?.();
    if (ignored <= LOGGED_PER_RUN) {
      wf.log.warn('Ignored a signal this workflow does not handle', { signal: String(name).slice(0, 100), ignored });
    }
  });
}
