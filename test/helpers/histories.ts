import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { resolveTemporalCli } from '../../dev/temporal-cli.js';
import { PROJECT_ROOT } from '../../worker/paths.js';

/**
 * The replay fixtures: one set, recorded from the current workflow code. Until the first release is tagged, a change
 * of a workflow re-records the set (`npm run histories:record`); after it, Worker Versioning carries old runs.
 */
export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');

/**
 * With RECORD_HISTORIES=1, saves the workflow's history as a replay fixture, in the format Temporal's tools write
 * (the CLI's `workflow show --output json`), read from the server at `address`.
 */
export function recordHistory(address: string, handle: WorkflowHandle, name: string): void {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const shown = spawnSync(
    resolveTemporalCli().path,
    ['workflow', 'show', '--workflow-id', handle.workflowId, '--output', 'json', '--address', address],
    // A batch's history runs to megabytes: the default 1 MB of output would cut it off.
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' } },
  );
  if (shown.status !== 0) throw new Error(`could not record ${name}: ${shown.error?.message ?? ''} ${shown.stderr}`);
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), shown.stdout);
}
