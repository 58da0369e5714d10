/**
 * Replays every committed history against the current workflow code: a change that would break running releases
 * (non-determinism) fails here, without any server. One fixture set, recorded from the current code with
 * `npm run histories:record`; the negative control proves the guard catches a non-deterministic edit.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { bundleWorkflowCode, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { QUIET_BUNDLER_LOGGER } from '../../worker/bundle-workflows.js';
import { WORKFLOWS_PATH } from '../../worker/paths.js';
import { HISTORIES_DIR } from '../helpers/histories.js';
import { installTestRuntime, prebuiltWorkflows } from '../helpers/temporal.js';

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string): unknown => JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));

/** The id the workflow ran under, as its first event records it: workflows that check their own id replay under it. */
function workflowIdOf(history: unknown, file: string): string {
  const events = (history as { events?: { workflowExecutionStartedEventAttributes?: { workflowId?: string } }[] })
    .events;
  return events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? file;
}

/** Every way a release, a batch and the watcher end, each with a history of its own. */
const REQUIRED = [
  'released-after-approval',
  'approved-early',
  'released-pre-approved',
  'rejected',
  'approval-expired',
  'refusals-then-approved',
  'invalid-input',
  'machine-not-found',
  'already-released',
  'adopted-in-flight',
  'isolate-cancelled-before-release',
  'action-failed',
  'action-timeout',
  'action-cancelled',
  'deadline-exceeded',
  'released-seen-at-deadline',
  'reisolated-after-release',
  'adopted-after-unknown-outcome',
  'cancelled-while-confirming',
  'worker-killed-mid-confirmation',
  'released-named-tenant',
  'released-as-bulk-child',
  'bulk-dry-run',
  'bulk-approved-partial-failure',
  'bulk-swept-terminated-release',
  'bulk-cancelled-waiting-on-earlier-run',
  'machine-action-watcher',
];

describe('replay of the committed histories', () => {
  let bundle: WorkflowBundleOption;
  before(async () => {
    installTestRuntime();
    const prebuilt = prebuiltWorkflows();
    bundle =
      'workflowBundle' in prebuilt
        ? prebuilt.workflowBundle
        : await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: QUIET_BUNDLER_LOGGER });
  });

  it('has a history for every end of a release, a batch and the watcher, and no other set', () => {
    const names = files.map((f) => f.replace(/\.json$/, ''));
    assert.deepEqual(
      REQUIRED.filter((name) => !names.includes(name)),
      [],
    );
    const dirs = readdirSync(HISTORIES_DIR, { withFileTypes: true }).filter((d) => d.isDirectory());
    assert.deepEqual(dirs, [], 'one fixture set');
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const history = load(file);
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowIdOf(history, file));
    });
  }

  it('fails on a non-deterministic change (the guard works)', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/changed-workflow/index.ts', import.meta.url)),
      logger: QUIET_BUNDLER_LOGGER,
    });
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: changed }, load('released-after-approval.json'), 'changed'),
      DeterminismViolationError,
    );
  });
});
