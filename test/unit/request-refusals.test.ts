/**
 * Refusals of release and bulk requests: each names the field and the rule (never zod's bare "Invalid input"), and
 * stays small however large the input, since the message is stored in the workflow's history and returned by result().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../client/cli.js';
import { InvalidReleaseRequestError, parseBulkRequest, parseReleaseRequest } from '../../contract/schemas/index.js';

const ID = '1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5';
const RELEASE = { machineId: ID, comment: 'Clean after re-imaging', requestedBy: 'alice@contoso.com' };
const BULK = { machineIds: [ID], comment: 'Clean after re-imaging', requestedBy: 'alice@contoso.com' };
const MAX_MESSAGE = 2048;

function refusal(parse: (input: unknown) => unknown, input: unknown): InvalidReleaseRequestError {
  try {
    parse(input);
  } catch (err) {
    assert.ok(err instanceof InvalidReleaseRequestError, String(err));
    return err;
  }
  assert.fail('the request was accepted');
}

/** Three unknown keys of 640 KB each: the request of issue 15. */
const oversizedKeys = () =>
  Object.fromEntries(['a', 'b', 'c'].map((c) => [`${c}${'k'.repeat(640 * 1024)}`, 'x'.repeat(16)]));

describe('refusals stay small', () => {
  for (const [name, parse, base] of [
    ['release', parseReleaseRequest, RELEASE],
    ['bulk', parseBulkRequest, BULK],
  ] as const) {
    it(`${name}: three unknown keys of 640 KB are named, cut to 40 characters, in a message under 2 KB`, () => {
      const err = refusal(parse, { ...base, ...oversizedKeys() });
      assert.ok(err.message.length <= MAX_MESSAGE, `message of ${err.message.length} characters`);
      assert.match(err.message, /request has unknown field\(s\) "ak{39}…", "bk{39}…", "ck{39}…"/);
      assert.ok(JSON.stringify(err.fields).length <= MAX_MESSAGE);
    });

    it(`${name}: many unknown keys are listed a few at a time`, () => {
      const keys = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`extra${i}`, i]));
      const err = refusal(parse, { ...base, ...keys });
      assert.match(err.message, /"extra0", "extra1", "extra2", "extra3", "extra4" and 995 more/);
      assert.ok(err.message.length <= MAX_MESSAGE);
    });

    it(`${name}: a hundred bad approvers make a message and a field list of bounded size`, () => {
      const approvers = Array.from({ length: 100 }, () => `bad\u0007${'y'.repeat(300)}`);
      const err = refusal(parse, { ...base, approval: { approvers } });
      assert.ok(err.message.length <= MAX_MESSAGE, `message of ${err.message.length} characters`);
      assert.match(err.message, /and \d+ more problems$/);
      assert.ok(err.fields.length <= 20, `${err.fields.length} fields`);
    });
  }
});

describe('every refusal names the field and the rule', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'a negative approval timeout',
      { approval: { timeout: '-1s' } },
      /approval\.timeout must be a duration between 1s and 30 days/,
    ],
    [
      'approval: null',
      { approval: null },
      /approval must be an object: either \{ preApprovedBy, reason \} or \{ approvers\?, timeout\? \}/,
    ],
    ['approval: a list', { approval: ['bob'] }, /approval must be an object/],
    ['approvers: a string', { approval: { approvers: 'bob' } }, /approval\.approvers must be a list of names/],
    ['an empty approver list', { approval: { approvers: [] } }, /approval\.approvers must name at least one approver/],
    ['a pre-approval without a reason', { approval: { preApprovedBy: 'bob' } }, /approval\.reason is required/],
    [
      'a pre-approval with an empty reason',
      { approval: { preApprovedBy: 'bob', reason: ' ' } },
      /approval\.reason must not be empty/,
    ],
    [
      'both approval forms',
      { approval: { preApprovedBy: 'bob', reason: 'CHG-1', approvers: ['carol'] } },
      /approval has unknown field\(s\) "approvers"/,
    ],
    ['an infinite poll interval', { pollInterval: Infinity }, /pollInterval must be a duration between 1s and 24h/],
    ['a NaN poll interval', { pollInterval: Number.NaN }, /pollInterval is not a duration/],
    ['a poll interval of the wrong type', { pollInterval: { every: 30 } }, /pollInterval must be a duration \(e\.g\./],
    ['an infinite deadline', { deadline: -Infinity }, /deadline must be a duration between 1s and 30 days/],
  ];
  for (const [name, change, message] of cases) {
    for (const [kind, parse, base] of [
      ['release', parseReleaseRequest, RELEASE],
      ['bulk', parseBulkRequest, BULK],
    ] as const) {
      it(`${kind}: ${name}`, () => {
        const err = refusal(parse, { ...base, ...change });
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /Invalid input/);
      });
    }
  }
});

describe('the CLI says which option is missing', () => {
  const cli = async (args: string[]) => {
    const out: string[] = [];
    const code = await runCli([...args, '--json'], { out: (l) => out.push(l), err: (l) => out.push(l) });
    return { code, error: (JSON.parse(out.join('\n')) as { error: { type: string; message: string } }).error };
  };
  const request = ['--comment', 'Clean after re-imaging', '--requested-by', 'alice@contoso.com'];

  for (const [name, args] of [
    ['release', ['release', ID, ...request]],
    ['bulk', ['bulk', '--machine', ID, ...request]],
  ] as const) {
    it(`${name}: --pre-approved-by without --reason`, async () => {
      const { code, error } = await cli([...args, '--pre-approved-by', 'bob@contoso.com']);
      assert.equal(code, 2);
      assert.equal(error.type, 'InvalidInput');
      assert.equal(error.message, '--pre-approved-by needs --reason');
    });

    it(`${name}: --pre-approved-by with --approver`, async () => {
      const args2 = [...args, '--pre-approved-by', 'bob@contoso.com', '--reason', 'CHG-1', '--approver', 'carol'];
      const { code, error } = await cli(args2);
      assert.equal(code, 2);
      assert.match(error.message, /--pre-approved-by excludes --approver and --approval-timeout/);
    });
  }
});
