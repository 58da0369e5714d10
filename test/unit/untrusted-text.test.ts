/**
 * Free text and workflow ids, which reach logs, terminals and Defender's audit trail: no control character, line break
 * or bidi override in a comment or reason; nothing but a safe charset in a workflow id (issue 15).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { correlationTag, releaseWorkflowId, textProblem, workflowIdProblem } from '../../contract/index.js';
import { checkWorkflowId, InvalidReleaseRequestError } from '../../contract/schemas/index.js';
import { FORGING_WORKFLOW_ID } from '../helpers/look-alikes.js';

describe('textProblem (comments, reasons, incident ids)', () => {
  it('refuses every control character, newline and tab included, and line separators', () => {
    for (const [text, character] of [
      ['EDR clean\napproved by CISO', 'U\\+000A'],
      ['EDR\tclean', 'U\\+0009'],
      ['EDR clean\r', 'U\\+000D'],
      ['\u001b[2JEDR clean', 'U\\+001B'],
      ['EDR clean\u0085', 'U\\+0085'],
      ['EDR clean\u2028approved', 'U\\+2028'],
    ]) {
      assert.match(
        textProblem(text!) ?? 'accepted',
        new RegExp(`control characters or line breaks \\(${character}\\)`),
      );
    }
  });

  it('refuses bidi embeddings, overrides and isolates; accepts the direction marks RTL text needs', () => {
    for (const character of [
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
    ]) {
      assert.match(textProblem(`clean ${character}dedorp`) ?? 'accepted', /bidirectional override or isolate/);
    }
    assert.equal(textProblem('נוקה \u200f(EDR) — ok'), null);
    assert.equal(textProblem('Clean after re-imaging, INC-42 ✅'), null);
  });
});

describe('workflowIdProblem', () => {
  it('accepts the ids the project makes and e-mail- or path-like business ids', () => {
    for (const id of [
      releaseWorkflowId('1A2B3C4D5E6F708192A3B4C5D6E7F80912A3B4C5'),
      'bulk-release-2026-12-01T08-00-00-000Z',
      'bulk-nightly-2026-12-01T08:00:00Z',
      'playbook-INC-42-defender-isolation',
      'soc/alice@contoso.com/case+7=1',
      'a'.repeat(255),
    ]) {
      assert.equal(workflowIdProblem(id), null, id);
    }
  });

  it('refuses a bracket, a newline, an escape, a space, other letters, and lengths outside 1-255', () => {
    assert.match(workflowIdProblem(FORGING_WORKFLOW_ID)!, /only letters, digits and \._:@\/\+=- \(U\+005D\)/);
    assert.match(workflowIdProblem('release-x\n')!, /\(U\+000A\)/);
    assert.match(workflowIdProblem('release-\u001b[2J')!, /\(U\+001B\)/);
    assert.match(workflowIdProblem('release x')!, /\(U\+0020\)/);
    assert.match(workflowIdProblem('rélease')!, /\(U\+00E9\)/);
    assert.match(workflowIdProblem('')!, /non-empty/);
    assert.match(workflowIdProblem('a'.repeat(256))!, /at most 255 characters/);
  });

  it('checkWorkflowId names workflowId, so a client refuses it as invalid input before starting', () => {
    assert.throws(
      () => checkWorkflowId(FORGING_WORKFLOW_ID, 'release request'),
      (err: unknown) =>
        err instanceof InvalidReleaseRequestError &&
        err.fields.join() === 'workflowId' &&
        /^invalid release request: workflowId must contain only/.test(err.message) &&
        !err.message.includes('forged'),
    );
  });

  it('a safe id makes exactly one correlation tag', () => {
    const tag = correlationTag('release-abc', '0123456789abcdef');
    assert.deepEqual(`comment ${tag}`.match(/\[defender-isolation [^\]]+\]/g), [tag]);
  });
});
