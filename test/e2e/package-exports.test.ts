/**
 * The package's library entries, as another project sees them: plain Node (no tsx, no tsconfig paths) resolves each
 * `exports` entry to the built dist/ with its declarations. `npm test` builds dist/ first.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../worker/paths.js';

const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, { types: string; default: string } | string>;
};

/** The names each entry must export (a sample of the public surface, not all of it). */
const EXPECTED: Record<string, string[]> = {
  '.': ['startRelease', 'approveRelease', 'rejectRelease', 'getReleaseStatus', 'startBulkRelease', 'approveUpdate'],
  './workflows': ['releaseMachine', 'bulkRelease', 'statusQuery', 'approveUpdate', 'ReleaseFailureType'],
  './worker': ['DefenderIsolationPlugin', 'createReleaseWorkers', 'loadConfig', 'ensureSearchAttributes'],
  './simulator': ['DefenderSimulator'],
};

describe('package exports', () => {
  for (const [entry, names] of Object.entries(EXPECTED)) {
    const specifier = entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`;
    it(`${specifier} resolves to dist/ with declarations and exports ${names.join(', ')}`, () => {
      const target = pkg.exports[entry];
      assert.ok(target && typeof target === 'object', `exports["${entry}"] is declared`);
      assert.ok(existsSync(path.join(PROJECT_ROOT, target.types)), `${target.types} exists`);
      const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, NODE_OPTIONS: '' },
        encoding: 'utf8',
      });
      const exported = JSON.parse(out.trim().split('\n').pop()!) as string[];
      for (const name of names) assert.ok(exported.includes(name), `${specifier} exports ${name}`);
    });
  }
});
