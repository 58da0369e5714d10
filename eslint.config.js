// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Workflow code runs in Temporal's deterministic sandbox: anything that does I/O or reads the clock or
// randomness outside the SDK breaks replay, so it may import only @temporalio/workflow, the contract and types.
// (.dependency-cruiser.cjs holds the same rule for the whole graph; this one points at the line in the editor.)
const workflowForbidden = [
  ...builtinModules.flatMap((m) => [m, `node:${m}`]),
  'got',
  'zod',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'test-results/', '.cache/', '.dependency-cruiser.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself tracks.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts', 'examples/**/workflows.ts', 'bench/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...workflowForbidden.map((name) => ({
              name,
              message:
                'Workflow code must stay deterministic: import only @temporalio/workflow, the contract and types.',
            })),
            // Our package's client, worker and simulator entries are not workflow code; its /workflows entry is.
            ...['defender-isolation', 'defender-isolation/worker', 'defender-isolation/simulator'].map((name) => ({
              name,
              allowTypeImports: true,
              message: 'Workflows may import defender-isolation/workflows (and types from the other entries) only.',
            })),
          ],
          patterns: [
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/simulator/**',
                '**/worker/**',
                '**/client/**',
                '**/dev/**',
                '**/contract/schemas',
                '**/contract/schemas/**',
              ],
              allowTypeImports: true,
              message:
                'Workflows may import activity types only (use `import type`), and the contract but its schemas.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['eslint.config.js', 'client/bin.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
