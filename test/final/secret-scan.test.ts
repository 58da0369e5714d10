/**
 * Runs after every other test file: scans every workflow history, memo and search attribute on the run's dev server,
 * and every log the run wrote (the configuration errors among them), for the client secrets used, the tokens issued
 * and the secret-looking values configured during the run. Any hit fails.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mapConcurrently } from '../../activities/concurrently.js';
import { DEFAULT_APP } from '../../simulator/index.js';
import { NUDGE_TOKEN_PREFIX } from '../helpers/nudge-receiver.js';
import { connectTestEnvironment, RESULTS_DIR } from '../helpers/temporal.js';

/** Every string reachable in a value, with binary payloads decoded as UTF-8 (payload data is JSON bytes). */
function collectText(value: unknown, out: string[] = [], seen = new Set<unknown>()): string[] {
  if (value == null) return out;
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const v of Object.values(value as Record<string, unknown>)) collectText(v, out, seen);
  }
  return out;
}

function findSecrets(corpus: string, secrets: string[]): string[] {
  return secrets.filter((s) => corpus.includes(s));
}

function filesUnder(dir: string, suffix: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith(suffix))
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

describe('secret scan over the whole test run', () => {
  let env: TestWorkflowEnvironment;
  const secrets = new Set<string>([DEFAULT_APP.clientSecret]);
  before(async () => {
    env = await connectTestEnvironment();
    for (const file of filesUnder(path.join(RESULTS_DIR, 'secrets'), '.txt')) {
      for (const line of readFileSync(file, 'utf8').split('\n')) if (line.length >= 8) secrets.add(line);
    }
  });
  after(async () => {
    await env?.teardown();
  });

  it('knows the secrets and tokens of the run (the scan is not vacuous)', () => {
    const tokens = [...secrets].filter((s) => s.startsWith('eyJ'));
    assert.ok(tokens.length >= 10, `tokens issued in the run: ${tokens.length}`);
    assert.ok(secrets.size > tokens.length, 'client secrets too');
    // Written out by the processes that configured them (test/helpers/nudge-receiver.ts), like client secrets.
    assert.ok(
      [...secrets].some((s) => s.startsWith(NUDGE_TOKEN_PREFIX)),
      'the nudge webhook URLs and their tokens too',
    );
  });

  it('the detector finds a planted secret', () => {
    const planted = collectText({
      events: [{ payload: { data: Buffer.from(`{"x":"${DEFAULT_APP.clientSecret}"}`) } }],
    });
    assert.deepEqual(findSecrets(planted.join('\n'), [DEFAULT_APP.clientSecret]), [DEFAULT_APP.clientSecret]);
  });

  it('no workflow history, memo or search attribute holds a secret or token', async () => {
    const list = [...secrets];
    const workflows = [];
    for await (const workflow of env.client.workflow.list()) workflows.push(workflow);
    // Histories are fetched a few at a time: the run leaves thousands of them.
    const hits = (
      await mapConcurrently(
        workflows,
        async (workflow) => {
          const history = await env.client.workflow.getHandle(workflow.workflowId, workflow.runId).fetchHistory();
          const corpus = [
            ...collectText(history),
            JSON.stringify(workflow.memo ?? {}),
            JSON.stringify(workflow.typedSearchAttributes ?? {}),
          ].join('\n');
          return findSecrets(corpus, list).map((secret) => `${workflow.workflowId}: ${secret.slice(0, 12)}…`);
        },
        8,
      )
    ).flat();
    const scanned = workflows.length;
    console.log(
      `secret-scan: ${list.length} secrets and tokens of the run (${list.filter((x) => x.startsWith('eyJ')).length} tokens), ` +
        `${scanned} workflow histories with memo and search attributes, ${hits.length} found`,
    );
    assert.deepEqual(hits, []);
    assert.ok(scanned >= 20, `scanned ${scanned} workflows`);
  });

  it('no log of the run holds a secret or token', () => {
    const logs = [
      ...filesUnder(path.join(RESULTS_DIR, 'logs'), '.log'),
      ...filesUnder(RESULTS_DIR, 'temporal-dev-server.log'),
      ...filesUnder(RESULTS_DIR, 'temporal-restart-server.log'),
    ];
    assert.ok(logs.length >= 3, `found ${logs.length} log files`);
    // Configuration errors as the worker prints them (test/unit/config-errors.test.ts), checked for its markers too.
    assert.ok(
      logs.some((file) => path.basename(file).startsWith('config-errors-')),
      'the configuration errors of the run are among the logs',
    );
    const hits = logs.flatMap((file) =>
      findSecrets(readFileSync(file, 'utf8'), [...secrets]).map((s) => `${path.basename(file)}: ${s.slice(0, 12)}…`),
    );
    console.log(`secret-scan: ${logs.length} log files, ${hits.length} found`);
    assert.deepEqual(hits, []);
  });
});
