/**
 * Replays every committed history against the current workflow code. A change that would break running releases
 * (non-determinism) fails here, without any server. Histories are recorded with `npm run histories:record`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { QUIET_BUNDLER_LOGGER } from '../../worker/bundle-workflows.js';
import { WORKFLOWS_PATH } from '../../worker/worker.js';
import { HISTORIES_DIR } from '../helpers/histories.js';
import { installTestRuntime } from '../helpers/temporal.js';

const files = (readdirSync(HISTORIES_DIR, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort();

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
}

describe('replay of committed histories', () => {
  let bundle: WorkflowBundleWithSourceMap;
  before(async () => {
    installTestRuntime();
    bundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: QUIET_BUNDLER_LOGGER,
    });
  });

  it('has histories for every end of the release', () => {
    for (const set of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) {
      const count = files.filter((f) => f.startsWith(`${set}/`)).length;
      assert.ok(count >= 15, `found ${count} ${set} histories`);
    }
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const history = load(file);
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, file);
      // A release must stay cheap in history: polls are not events (activity retries in v1, the watcher from v2 on).
      const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
      if (type === 'releaseMachine') {
        assert.ok((history.events?.length ?? 0) <= 60, `${file} has ${history.events?.length} events`);
      }
    });
  }

  it('fails on a non-deterministic change (the guard works)', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/changed-workflow/index.ts', import.meta.url)),
      logger: QUIET_BUNDLER_LOGGER,
    });
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: changed }, load('v1/released-after-approval.json'), 'changed'),
      DeterminismViolationError,
    );
  });
});
