/**
 * `defender-isolation ui-view` (issue 16): what it prints, what it refuses, and what its script does to the Temporal
 * UI's localStorage, run here in a bare JavaScript context (test/e2e/ui.test.ts runs it on the UI in Chromium).
 */
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { describe, it } from 'node:test';
import { EXIT, runCli } from '../../client/cli.js';
import type { AnalystView } from '../../client/ui-view.js';

async function uiView(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['ui-view', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Runs the script against `storage` as the UI page's localStorage; returns how often it reloaded the page. */
function runScript(script: string, storage: Map<string, string>): number {
  let reloads = 0;
  const localStorage = {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => void storage.set(key, value),
  };
  runInNewContext(script, { localStorage, location: { reload: () => reloads++ } });
  return reloads;
}

describe('ui-view', () => {
  it('prints the columns, the saved views with their links, the script and the bookmarklet', async () => {
    const { code, out } = await uiView('--namespace', 'soc', '--ui-url', 'https://temporal.example/ui/', '--json');
    assert.equal(code, EXIT.ok);
    const view = JSON.parse(out) as AnalystView;
    assert.deepEqual(view.columns, [
      'Status',
      'ReleaseState',
      'IncidentId',
      'DefenderMachineId',
      'Workflow ID',
      'Start',
      'End',
    ]);
    const awaiting = view.views.find((v) => v.name === 'Releases awaiting approval');
    assert.equal(awaiting?.query, '`ExecutionStatus`="Running" AND `ReleaseState`="awaiting-approval"');
    assert.equal(
      awaiting?.link,
      `https://temporal.example/ui/namespaces/soc/workflows?query=${encodeURIComponent(awaiting.query)}`,
    );
    assert.equal(view.bookmarklet, `javascript:${encodeURIComponent(view.script)}`);
    const human = await uiView('--namespace', 'soc');
    assert.match(human.out, /^Columns: Status, ReleaseState, IncidentId, DefenderMachineId, Workflow ID, Start, End$/m);
    assert.match(human.out, /^ {4}http:\/\/localhost:8233\/namespaces\/soc\/workflows\?query=/m);
  });

  it('refuses a namespace or an address that could not be one (exit 2), before printing anything', async () => {
    for (const args of [
      ['--namespace', 'soc"; alert(1); "'],
      ['--namespace', ''],
      ['--ui-url', 'javascript:alert(1)'],
      ['--ui-url', 'not a url'],
      ['--unknown'],
    ]) {
      const { code, out, err } = await uiView(...args);
      assert.equal(code, EXIT.usage, args.join(' '));
      assert.equal(out, '', args.join(' '));
      assert.match(err, /UsageError|must be|Unknown option/, args.join(' '));
    }
  });

  it('its script sets the namespace columns and views, keeps everything else, and reloads once', async () => {
    const view = JSON.parse((await uiView('--namespace', 'soc', '--json')).out) as AnalystView;
    const mine = { id: '1', name: 'My view', query: 'x', type: 'user' };
    const storage = new Map([
      ['namespace-workflow-table-columns', JSON.stringify({ other: [{ label: 'Run ID' }], soc: [{ label: 'Type' }] })],
      ['saved-workflow-queries', JSON.stringify({ soc: [mine, { id: '2', name: 'Releases running', query: 'old' }] })],
    ]);
    assert.equal(runScript(view.script, storage), 1);
    assert.equal(runScript(view.script, storage), 1, 'applied twice');
    const columns = JSON.parse(storage.get('namespace-workflow-table-columns')!) as Record<string, { label: string }[]>;
    assert.deepEqual(columns.other, [{ label: 'Run ID' }]);
    assert.deepEqual(
      columns.soc?.map((c) => c.label),
      view.columns,
    );
    const saved = JSON.parse(storage.get('saved-workflow-queries')!) as Record<
      string,
      { name: string; query: string }[]
    >;
    assert.deepEqual(
      saved.soc?.map((v) => v.name),
      ['My view', ...view.views.map((v) => v.name)],
    );
    assert.equal(saved.soc?.find((v) => v.name === 'Releases running')?.query, view.views[1]?.query);
  });

  it('its script starts from nothing, or from what it cannot read, without failing', async () => {
    const view = JSON.parse((await uiView('--json')).out) as AnalystView;
    const storage = new Map([['saved-workflow-queries', '{not json']]);
    assert.equal(runScript(view.script, storage), 1);
    assert.equal(JSON.parse(storage.get('saved-workflow-queries')!).default.length, view.views.length);
    assert.equal(JSON.parse(storage.get('namespace-workflow-table-columns')!).default.length, view.columns.length);
  });
});
