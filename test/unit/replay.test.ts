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
import { watcherWorkflowId, WATCHER_WORKFLOW_TYPE } from '../../contract/index.js';
import { QUIET_BUNDLER_LOGGER } from '../../worker/bundle-workflows.js';
import { WORKFLOWS_PATH } from '../../worker/paths.js';
import { HISTORIES_DIR } from '../helpers/histories.js';
import { installTestRuntime, prebuiltWorkflows } from '../helpers/temporal.js';

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string): unknown => JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));

/**
 * The id the workflow ran under, as its first event records it: workflows that check their own id (the watcher)
 * replay under it. The time-skipping server leaves it out; a watcher's id is then derived as releases derive it.
 */
function workflowIdOf(history: unknown, file: string): string {
  type Started = {
    workflowId?: string;
    workflowType?: { name?: string };
    taskQueue?: { name?: string };
    input?: { payloads?: { data?: string }[] };
  };
  const started = (history as { events?: { workflowExecutionStartedEventAttributes?: Started }[] }).events?.[0]
    ?.workflowExecutionStartedEventAttributes;
  if (started?.workflowId) return started.workflowId;
  if (started?.workflowType?.name !== WATCHER_WORKFLOW_TYPE || !started.taskQueue?.name) return file;
  const data = started.input?.payloads?.[0]?.data;
  const state = data ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { tenant?: string | null }) : {};
  return watcherWorkflowId(started.taskQueue.name, state.tenant ?? null);
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
  'cancel-requested-while-awaiting-approval',
  'cancel-requested-while-releasing',
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
