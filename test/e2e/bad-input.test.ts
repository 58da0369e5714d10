/**
 * Bad input, through every door: the client helpers, our CLI and the stock `temporal` CLI. Each malformed request gets
 * a clear error naming the problem, and the simulator's log shows zero calls for it. Refused approvals change nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { EXIT, runCli } from '../../client/cli.js';
import {
  approveRelease,
  InvalidReleaseRequestError,
  rejectRelease,
  ReleaseUpdateRefusedError,
  startRelease,
} from '../../client/release-client.js';
import { resolveTemporalCli } from '../../dev/temporal-cli.js';
import { FORGING_WORKFLOW_ID, LOOK_ALIKES_OF_ALICE } from '../helpers/look-alikes.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';

const run = promisify(execFile);
const ID = '1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5';
const VALID = { machineId: ID, comment: 'Clean after re-imaging', requestedBy: 'alice@contoso.com' };
/** A refusal is stored in history and returned by result(): bounded, whatever the input. */
const MAX_MESSAGE = 2048;
/** Three unknown keys of 640 KB each (issue 15): a request of almost 2 MB, just under Temporal's payload limit. */
const OVERSIZED_KEYS = Object.fromEntries(['a', 'b', 'c'].map((c) => [`${c}${'k'.repeat(640 * 1024)}`, 1]));

/** Bytes of every payload and string in a history: what the server stores and sends back to result(). */
function historyBytes(value: unknown): number {
  if (value == null) return 0;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (value instanceof Uint8Array) return value.length;
  if (typeof value !== 'object') return 0;
  return Object.values(value as Record<string, unknown>).reduce<number>((n, v) => n + historyBytes(v), 0);
}

interface Case {
  name: string;
  request: unknown;
  /** The error must name this (the field, or the rule). */
  names: RegExp;
  /** The same request as CLI arguments, when the CLI can express it. */
  cli?: string[];
  /** A workflow id to start it under (each door adds its own suffix), when the id is the problem. */
  workflowId?: string;
}

const cliArgs = (overrides: { id?: string; comment?: string; by?: string; extra?: string[] }) => [
  'release',
  overrides.id ?? ID,
  '--comment',
  overrides.comment ?? VALID.comment,
  '--requested-by',
  overrides.by ?? VALID.requestedBy,
  ...(overrides.extra ?? []),
];

const CASES: Case[] = [
  {
    name: 'machine id too short',
    request: { ...VALID, machineId: 'abc123' },
    names: /machineId/,
    cli: cliArgs({ id: 'abc123' }),
  },
  {
    name: 'machine id too long',
    request: { ...VALID, machineId: `${ID}0` },
    names: /machineId/,
    cli: cliArgs({ id: `${ID}0` }),
  },
  {
    name: 'machine id not hex',
    request: { ...VALID, machineId: 'g'.repeat(40) },
    names: /machineId/,
    cli: cliArgs({ id: 'g'.repeat(40) }),
  },
  {
    name: 'machine id with path traversal',
    request: { ...VALID, machineId: `../../api/machines/${ID.slice(0, 22)}` },
    names: /machineId/,
    cli: cliArgs({ id: `../../api/machines/${ID.slice(0, 22)}` }),
  },
  {
    name: 'machine id URL-encoded',
    request: { ...VALID, machineId: `%2e%2e%2f${ID.slice(9)}` },
    names: /machineId/,
    cli: cliArgs({ id: `%2e%2e%2f${ID.slice(9)}` }),
  },
  {
    name: 'machine id with a space',
    request: { ...VALID, machineId: ` ${ID}` },
    names: /machineId/,
    cli: cliArgs({ id: ` ${ID}` }),
  },
  { name: 'machine id with a newline', request: { ...VALID, machineId: `${ID.slice(0, 39)}\n` }, names: /machineId/ },
  { name: 'machine id a number', request: { ...VALID, machineId: 12345 }, names: /machineId/ },
  { name: 'machine id null', request: { ...VALID, machineId: null }, names: /machineId/ },
  { name: 'machine id missing', request: { comment: 'x', requestedBy: 'alice' }, names: /machineId is required/ },
  { name: 'empty comment', request: { ...VALID, comment: '' }, names: /comment/, cli: cliArgs({ comment: '' }) },
  { name: 'blank comment', request: { ...VALID, comment: '   ' }, names: /comment/, cli: cliArgs({ comment: '   ' }) },
  {
    name: 'oversized comment',
    request: { ...VALID, comment: 'x'.repeat(1001) },
    names: /comment must be at most 1000/,
    cli: cliArgs({ comment: 'x'.repeat(1001) }),
  },
  { name: 'comment not a string', request: { ...VALID, comment: 42 }, names: /comment must be a string/ },
  {
    name: 'comment with a control character',
    request: { ...VALID, comment: 'ok\u0007' },
    names: /comment must not contain control/,
  },
  { name: 'requester empty', request: { ...VALID, requestedBy: '' }, names: /requestedBy/, cli: cliArgs({ by: '' }) },
  { name: 'requester missing', request: { machineId: ID, comment: 'x' }, names: /requestedBy is required/ },
  { name: 'unknown field', request: { ...VALID, force: true }, names: /unknown field\(s\) "force"/ },
  {
    name: 'three unknown keys of 640 KB',
    request: { ...VALID, ...OVERSIZED_KEYS },
    names: /request has unknown field\(s\) "ak{39}…", "bk{39}…", "ck{39}…"$/,
  },
  {
    name: 'unknown approval field',
    request: { ...VALID, approval: { approver: 'bob' } },
    names: /approval has unknown field\(s\) "approver"/,
  },
  { name: 'not an object', request: 'release everything', names: /request/ },
  {
    name: 'approval null',
    request: { ...VALID, approval: null },
    names: /approval must be an object: either \{ preApprovedBy, reason \} or \{ approvers\?, timeout\? \}/,
  },
  {
    name: 'approvers not a list',
    request: { ...VALID, approval: { approvers: 'bob' } },
    names: /approval\.approvers must be a list of names/,
  },
  {
    name: 'empty approver list',
    request: { ...VALID, approval: { approvers: [] } },
    names: /approval\.approvers must name at least one approver/,
  },
  {
    name: 'poll interval below 1s',
    request: { ...VALID, pollInterval: '100ms' },
    names: /pollInterval must be a duration between 1s and 24h/,
    cli: cliArgs({ extra: ['--poll-interval', '100ms'] }),
  },
  {
    name: 'poll interval above 24h',
    request: { ...VALID, pollInterval: '2 days' },
    names: /pollInterval must be a duration between/,
    cli: cliArgs({ extra: ['--poll-interval', '2 days'] }),
  },
  {
    name: 'poll interval not a duration',
    request: { ...VALID, pollInterval: 'soon' },
    names: /pollInterval is not a duration/,
    cli: cliArgs({ extra: ['--poll-interval', 'soon'] }),
  },
  {
    name: 'deadline above 30 days',
    request: { ...VALID, deadline: '31 days' },
    names: /deadline must be a duration between/,
    cli: cliArgs({ extra: ['--deadline', '31 days'] }),
  },
  { name: 'negative deadline', request: { ...VALID, deadline: -5 }, names: /deadline/ },
  {
    // Through JSON (the stock CLI) Infinity arrives as null: either way the field and the rule are named.
    name: 'infinite poll interval',
    request: { ...VALID, pollInterval: Infinity },
    names: /pollInterval must be a duration/,
  },
  {
    name: 'approval timeout of zero',
    request: { ...VALID, approval: { timeout: '0s' } },
    names: /approval\.timeout must be a duration between 1s and 30 days/,
    cli: cliArgs({ extra: ['--approval-timeout', '0s'] }),
  },
  {
    name: 'negative approval timeout',
    request: { ...VALID, approval: { timeout: '-1s' } },
    names: /approval\.timeout must be a duration between 1s and 30 days/,
    cli: cliArgs({ extra: ['--approval-timeout=-1s'] }),
  },
  {
    name: 'approval timeout above 30 days',
    request: { ...VALID, approval: { timeout: '31 days' } },
    names: /approval\.timeout must be a duration between/,
    cli: cliArgs({ extra: ['--approval-timeout', '31 days'] }),
  },
  {
    name: 'pre-approved by the requester',
    request: { ...VALID, approval: { preApprovedBy: 'ALICE@contoso.com', reason: 'CHG-1' } },
    names: /four-eyes/,
    cli: cliArgs({ extra: ['--pre-approved-by', 'ALICE@contoso.com', '--reason', 'CHG-1'] }),
  },
  {
    name: 'only the requester may approve',
    request: { ...VALID, approval: { approvers: ['alice@contoso.com'] } },
    names: /four-eyes/,
    cli: cliArgs({ extra: ['--approver', 'alice@contoso.com'] }),
  },
  {
    name: 'pre-approval without a reason',
    request: { ...VALID, approval: { preApprovedBy: 'bob@contoso.com' } },
    names: /approval\.reason is required|--pre-approved-by needs --reason/,
    cli: cliArgs({ extra: ['--pre-approved-by', 'bob@contoso.com'] }),
  },
  {
    name: 'malformed tenant',
    request: { ...VALID, tenant: '../contoso' },
    names: /tenant must be a tenant name/,
    cli: cliArgs({ extra: ['--tenant', '../contoso'] }),
  },
  {
    name: 'empty incident id',
    request: { ...VALID, incidentId: '' },
    names: /incidentId/,
    cli: cliArgs({ extra: ['--incident', ''] }),
  },
  {
    name: 'comment with a newline',
    request: { ...VALID, comment: 'Clean\napproved by CISO' },
    names: /comment must not contain control characters or line breaks \(U\+000A\)/,
    cli: cliArgs({ comment: 'Clean\napproved by CISO' }),
  },
  {
    name: 'reason with a right-to-left override',
    request: { ...VALID, approval: { preApprovedBy: 'bob@contoso.com', reason: 'CHG-1\u202e' } },
    names: /approval\.reason must not contain bidirectional override/,
  },
  // Look-alikes of the requester as pre-approver (issue 15): each refused naming the field and the rule.
  ...LOOK_ALIKES_OF_ALICE.map(([trick, name, rule]) => ({
    name: `pre-approved by the requester under a look-alike name (${trick})`,
    request: { ...VALID, approval: { preApprovedBy: name, reason: 'CHG-1' } },
    names: new RegExp(`approval\\.preApprovedBy .*(${rule.source})`),
    cli: cliArgs({ extra: ['--pre-approved-by', name, '--reason', 'CHG-1'] }),
  })),
  {
    name: 'requester with a zero-width space',
    request: { ...VALID, requestedBy: 'alice\u200b@contoso.com' },
    names: /requestedBy must not contain invisible or formatting characters \(U\+200B\)/,
    cli: cliArgs({ by: 'alice\u200b@contoso.com' }),
  },
  {
    name: 'a workflow id that would forge a second tag in Defender',
    request: VALID,
    workflowId: FORGING_WORKFLOW_ID,
    names: /workflowId must contain only letters, digits and \._:@\/\+=- \(U\+005D\)/,
    cli: cliArgs({ extra: ['--workflow-id', FORGING_WORKFLOW_ID] }),
  },
];

describe('bad input through every door', () => {
  let h: ReleaseHarness;
  let temporal: string;
  const seen = { client: 0, cli: 0, temporalCli: 0, approvals: 0 };

  before(async () => {
    h = await startReleaseHarness('bad-input');
    const cli = resolveTemporalCli();
    temporal = cli.path;
    process.env.TEMPORAL_ADDRESS = process.env.TEMPORAL_TEST_ADDRESS;
    process.env.TEMPORAL_TASK_QUEUE = h.taskQueue;
  });
  after(async () => {
    console.log(
      `bad-input: ${CASES.length} malformed requests; refused ${seen.client} via the client helpers, ${seen.cli} via our CLI, ` +
        `${seen.temporalCli} via the stock temporal CLI; ${seen.approvals} refused approvals; simulator calls for them: 0`,
    );
    await h?.stop();
  });

  it(`has at least 30 malformed requests`, () => {
    assert.ok(CASES.length >= 30, `${CASES.length} cases`);
  });

  it('the client helpers refuse each one before starting anything, naming the problem', async () => {
    const before = h.sim.requests.length;
    for (const c of CASES) {
      const workflowId = `${c.workflowId ?? 'bad-client'}-${h.taskQueue}`;
      await assert.rejects(
        startRelease(h.client, c.request as never, { taskQueue: h.taskQueue, workflowId }),
        (err: Error) => {
          assert.ok(err instanceof InvalidReleaseRequestError, `${c.name}: ${String(err)}`);
          assert.match(err.message, c.names, c.name);
          assert.ok(err.message.length <= MAX_MESSAGE, `${c.name}: a message of ${err.message.length} characters`);
          return true;
        },
      );
      seen.client++;
    }
    await assert.rejects(h.client.workflow.getHandle(`bad-client-${h.taskQueue}`).describe(), /not found/i);
    await assert.rejects(h.client.workflow.getHandle(`${FORGING_WORKFLOW_ID}-${h.taskQueue}`).describe(), /not found/i);
    assert.equal(h.sim.requests.length, before, 'zero simulator calls');
  });

  it('our CLI exits 2 for each one it can express, naming the problem, before connecting', async () => {
    const before = h.sim.requests.length;
    for (const c of CASES.filter((x) => x.cli)) {
      const out: string[] = [];
      const code = await runCli([...c.cli!, '--json'], { out: (l) => out.push(l), err: (l) => out.push(l) });
      assert.equal(code, EXIT.usage, `${c.name}: ${out.join('\n')}`);
      const { error } = JSON.parse(out.join('\n')) as { error: { type: string; message: string } };
      assert.equal(error.type, 'InvalidInput', c.name);
      assert.match(error.message, c.names, c.name);
      assert.ok(error.message.length <= MAX_MESSAGE, c.name);
      seen.cli++;
    }
    assert.ok(seen.cli >= 20, `${seen.cli} CLI cases`);
    assert.equal(h.sim.requests.length, before, 'zero simulator calls');
  });

  it('the stock temporal CLI starts them; the workflow ends each InvalidInput as its first step, with no call', async () => {
    const before = h.sim.requests.length;
    // Inputs go in files: an argument of 2 MB is beyond what a command line carries.
    const inputs = mkdtempSync(path.join(os.tmpdir(), 'bad-input-'));
    const started = await Promise.all(
      CASES.map(async (c, i) => {
        const workflowId = `${c.workflowId ?? `bad-temporal-${i}`}-${h.taskQueue}`;
        const input = path.join(inputs, `${i}.json`);
        writeFileSync(input, JSON.stringify(c.request));
        await run(temporal, [
          'workflow',
          'start',
          '--address',
          process.env.TEMPORAL_TEST_ADDRESS!,
          '--type',
          'releaseMachine',
          '--task-queue',
          h.taskQueue,
          '--workflow-id',
          workflowId,
          '--input-file',
          input,
        ]);
        return { c, workflowId };
      }),
    );
    for (const { c, workflowId } of started) {
      const err = await h.client.workflow
        .getHandle(workflowId)
        .result()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(err instanceof WorkflowFailedError, `${c.name}: ${String(err)}`);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'InvalidInput', c.name);
      assert.match(err.cause.message, c.names, c.name);
      assert.ok(err.cause.message.length <= MAX_MESSAGE, `${c.name}: a message of ${err.cause.message.length}`);
      assert.ok(JSON.stringify(err.cause.details ?? []).length <= MAX_MESSAGE, `${c.name}: details`);
      // The history holds the input once (the start event) and refusals of bounded size, not copies of the input.
      const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
      const inputBytes = Buffer.byteLength(JSON.stringify(c.request));
      assert.ok(
        historyBytes(history) <= inputBytes + 32 * 1024,
        `${c.name}: history of ${historyBytes(history)} bytes`,
      );
      seen.temporalCli++;
    }
    assert.equal(h.sim.requests.length, before, 'zero simulator calls');
  });

  it('refused approvals (requester, outside the allowlist, after the decision, after the timeout) change nothing', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const { handle, workflowId } = await h.start({
      machineId: machine.id,
      approval: { approvers: ['bob@contoso.com'], timeout: '1h' },
    });
    await h.waitForState(workflowId, 'awaiting-approval');
    const before = h.sim.requests.length;
    const historyBefore = (await handle.fetchHistory()).events?.length;
    const refusals: [string, () => Promise<unknown>, RegExp][] = [
      ['requester', () => approveRelease(h.client, workflowId, { approver: 'alice@contoso.com' }), /four-eyes/],
      ...LOOK_ALIKES_OF_ALICE.map(([trick, approver, rule]): [string, () => Promise<unknown>, RegExp] => [
        `requester under a look-alike name (${trick})`,
        () => approveRelease(h.client, workflowId, { approver }),
        rule,
      ]),
      [
        'requester, other case',
        () => approveRelease(h.client, workflowId, { approver: 'ALICE@contoso.com ' }),
        /four-eyes/,
      ],
      [
        'outside the allowlist',
        () => approveRelease(h.client, workflowId, { approver: 'mallory@contoso.com' }),
        /not an approver/,
      ],
      ['empty approver', () => approveRelease(h.client, workflowId, { approver: '' }), /approver must be/],
      [
        'reject without a reason',
        () => rejectRelease(h.client, workflowId, { approver: 'bob@contoso.com', reason: ' ' }),
        /reason/,
      ],
    ];
    for (const [name, call, message] of refusals) {
      await assert.rejects(call(), (err: Error) => {
        assert.ok(err instanceof ReleaseUpdateRefusedError, `${name}: ${String(err)}`);
        assert.match(err.message, message, name);
        return true;
      });
      seen.approvals++;
    }
    // Through the stock temporal CLI too.
    await assert.rejects(
      run(temporal, [
        'workflow',
        'update',
        'execute',
        '--address',
        process.env.TEMPORAL_TEST_ADDRESS!,
        '--workflow-id',
        workflowId,
        '--name',
        'approve',
        '--input',
        JSON.stringify({ approver: 'alice@contoso.com' }),
      ]),
      (err: Error & { stderr?: string; stdout?: string }) => {
        assert.match(`${err.stderr ?? ''}${err.stdout ?? ''}`, /four-eyes/);
        return true;
      },
    );
    seen.approvals++;
    assert.equal((await handle.fetchHistory()).events?.length, historyBefore, 'no event in history');
    assert.equal(h.sim.requests.length, before, 'zero simulator calls');

    await rejectRelease(h.client, workflowId, { approver: 'bob@contoso.com', reason: 'still beaconing' });
    await assert.rejects(
      approveRelease(h.client, workflowId, { approver: 'bob@contoso.com' }),
      ReleaseUpdateRefusedError,
    );
    seen.approvals++;
    await handle.result().catch(() => undefined);
    assert.equal(h.unisolatePosts(machine.id), 0, 'no release was sent');

    // After the timeout the release has ended: nothing left to approve.
    const expiring = h.sim.addMachine({ isolated: true });
    const late = await h.start({ machineId: expiring.id, approval: { timeout: '1s' } });
    await late.handle.result().catch(() => undefined);
    await assert.rejects(approveRelease(h.client, late.workflowId, { approver: 'bob@contoso.com' }), /already ended/);
    seen.approvals++;
    assert.equal(h.unisolatePosts(expiring.id), 0);
  });
});
