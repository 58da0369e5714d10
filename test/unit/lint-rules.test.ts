/** The lint rule that keeps workflow code deterministic actually fires (and allows what it should). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { PROJECT_ROOT } from '../../worker/paths.js';

// The project's configuration, with only the rule under test and no type information (which it does not need):
// seconds instead of the time it takes to build a TypeScript program.
const eslint = new ESLint({
  cwd: PROJECT_ROOT,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === '@typescript-eslint/no-restricted-imports',
});

async function restrictedImports(code: string, filePath = 'workflows/index.ts'): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

describe('workflow import rules', () => {
  for (const [what, code] of [
    ['a Node built-in', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
    ['a bare Node built-in', "import crypto from 'crypto';\nexport const x = crypto;\n"],
    ['got', "import got from 'got';\nexport const x = got;\n"],
    ['@temporalio/activity', "import { sleep } from '@temporalio/activity';\nexport const x = sleep;\n"],
    ['@temporalio/client', "import { Client } from '@temporalio/client';\nexport const x = Client;\n"],
    ['@temporalio/worker', "import { Worker } from '@temporalio/worker';\nexport const x = Worker;\n"],
    ['zod', "import { z } from 'zod';\nexport const x = z;\n"],
    [
      'a value import of activities',
      "import { createApiActivities } from '../activities/index.js';\nexport const x = createApiActivities;\n",
    ],
    [
      "the contract's schemas (zod)",
      "import { parseReleaseRequest } from '../contract/schemas/index.js';\nexport const x = parseReleaseRequest;\n",
    ],
    ['dev tooling', "import { startDevServer } from '../dev/dev-server.js';\nexport const x = startDevServer;\n"],
  ] as const) {
    it(`forbids ${what} in workflows/`, async () => {
      assert.equal((await restrictedImports(code)).length, 1);
    });
  }

  it('allows @temporalio/workflow, the contract and type imports of activities', async () => {
    const code =
      "import * as wf from '@temporalio/workflow';\nimport type { ApiActivities } from '../activities/index.js';\n" +
      "import { releaseWorkflowId } from '../contract/index.js';\n" +
      'export type A = ApiActivities;\nexport const x = [wf.sleep, releaseWorkflowId];\n';
    assert.deepEqual(await restrictedImports(code), []);
  });

  it('does not restrict activities/', async () => {
    assert.deepEqual(
      await restrictedImports("import got from 'got';\nexport const x = got;\n", 'activities/index.ts'),
      [],
    );
  });
});
