/**
 * Names compared as people see them (issue 15): every trick that made `alice@contoso.com` pass as someone else is
 * refused naming its rule and character, ordinary names in any one script pass, and look-alikes are one person.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkIdentity, couldPassFor, identityKey, sameIdentity } from '../../contract/index.js';
import { InvalidReleaseRequestError, parseBulkRequest, parseReleaseRequest } from '../../contract/schemas/index.js';
import { ALICE, LOOK_ALIKES_OF_ALICE } from '../helpers/look-alikes.js';

/** The tricks checkIdentity itself refuses (the fullwidth ａ is Alice once folded: four-eyes refuses it). */
const REFUSED = LOOK_ALIKES_OF_ALICE.filter(([, , rule]) => !rule.test('four-eyes'));

const ID = '1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5';

describe('checkIdentity', () => {
  for (const [trick, name, rule] of REFUSED) {
    it(`refuses ${trick}, naming the rule and the character`, () => {
      const { problem } = checkIdentity(name);
      assert.match(problem ?? 'accepted', rule);
    });
  }

  for (const [what, character] of [
    ['Hangul choseong filler', '\u115f'],
    ['Hangul jungseong filler', '\u1160'],
    ['Hangul filler', '\u3164'],
    ['halfwidth Hangul filler', '\uffa0'],
    ['Braille blank', '\u2800'],
    ['variation selector', '\ufe0f'],
    ['tag character', '\u{e0041}'],
    ['byte order mark', '\ufeff'],
    ['soft hyphen', '\u00ad'],
    ['combining grapheme joiner', '\u034f'],
  ] as const) {
    it(`refuses an invisible ${what}`, () => {
      assert.match(checkIdentity(`ali${character}ce@contoso.com`).problem ?? 'accepted', /invisible or formatting/);
    });
  }

  it('refuses whitespace other than a plain space, line separators and tabs', () => {
    assert.match(checkIdentity('Bob\u00a0Smith').problem!, /whitespace other than a plain space \(U\+00A0\)/);
    assert.match(checkIdentity('Bob\u3000Smith').problem!, /whitespace other than a plain space \(U\+3000\)/);
    assert.match(checkIdentity('Bob\tSmith').problem!, /control characters or line breaks \(U\+0009\)/);
    assert.match(checkIdentity('Bob\u2028Smith').problem!, /control characters or line breaks \(U\+2028\)/);
  });

  it('refuses private-use and unassigned code points, Greek in a Latin name, and mixes beyond East Asian ones', () => {
    assert.match(checkIdentity('alice\ue000').problem!, /unassigned or private-use characters \(U\+E000\)/);
    assert.match(checkIdentity('b\u03bfb@contoso.com').problem!, /must not mix Latin and Greek letters \(U\+03BF\)/);
    assert.match(checkIdentity('Иван Smith-Jones').problem!, /must not mix Latin and Cyrillic letters \(U\+0418\)/);
  });

  it('never echoes a value: a huge one is refused by its length', () => {
    const { problem } = checkIdentity(`${'a'.repeat(100_000)}\u200b`);
    assert.equal(problem, 'must be at most 200 characters');
    assert.match(checkIdentity('   ').problem!, /must not be empty/);
    assert.match(checkIdentity(42).problem!, /must be a string/);
  });

  it('accepts ordinary names in any one script (and Latin beside Han), in their NFKC form, trimmed', () => {
    for (const name of [ALICE, 'Bob Smith', 'josé@contoso.com', '李雷', 'Иван Петров', 'playbook:incident-42']) {
      assert.deepEqual(checkIdentity(name), { identity: name }, name);
    }
    assert.deepEqual(checkIdentity('Tanaka 田中 たなか'), { identity: 'Tanaka 田中 たなか' });
    assert.deepEqual(checkIdentity('jose\u0301@contoso.com'), { identity: 'josé@contoso.com' }, 'composed');
    assert.deepEqual(checkIdentity('  Bob   Smith '), { identity: 'Bob Smith' });
    assert.deepEqual(checkIdentity('\uff41lice@contoso.com'), { identity: ALICE }, 'fullwidth folded by NFKC');
  });
});

describe('sameIdentity', () => {
  it('is true for look-alikes: case, fullwidth, Cyrillic and Greek letters, rn for m, dotless i, ß', () => {
    for (const [a, b] of [
      ['ALICE@Contoso.com', ALICE],
      ['\uff41lice@contoso.com', ALICE],
      ['\u0430lice@contoso.com', ALICE],
      ['b\u03bfb@contoso.com', 'bob@contoso.com'],
      ['rnallory@contoso.com', 'mallory@contoso.com'],
      ['al\u0131ce@contoso.com', ALICE],
      ['straße', 'STRASSE'],
      ['\u0430\u0440\u0435', 'ape'],
    ]) {
      assert.ok(sameIdentity(a!, b!), `${a} ~ ${b}`);
    }
  });

  it('is false for different people: another name, an accent', () => {
    assert.equal(sameIdentity('bob@contoso.com', ALICE), false);
    assert.equal(sameIdentity('josé@contoso.com', 'jose@contoso.com'), false);
    assert.notEqual(identityKey('Bob Smith'), identityKey('Bob Smyth'));
  });
});

describe('couldPassFor (four-eyes)', () => {
  it('catches the look-alikes case folding erases: capital I for l, digit 0 for O', () => {
    assert.ok(couldPassFor('aIice@contoso.com', 'alice@contoso.com'));
    assert.ok(couldPassFor('b0b@contoso.com', 'bob@contoso.com'));
    assert.ok(couldPassFor('ALICE@contoso.com', 'alice@contoso.com'));
    assert.equal(sameIdentity('aIice@contoso.com', 'alice@contoso.com'), false, 'an allowlist stays strict');
  });

  it('is false for different people', () => {
    assert.equal(couldPassFor('bob@contoso.com', 'alice@contoso.com'), false);
    assert.equal(couldPassFor('alicia@contoso.com', 'alice@contoso.com'), false);
  });

  it('a requester cannot pre-approve her own release as aIice', () => {
    assert.throws(
      () =>
        parseReleaseRequest({
          machineId: 'a'.repeat(40),
          comment: 'c',
          requestedBy: 'alice@contoso.com',
          approval: { preApprovedBy: 'aIice@contoso.com', reason: 'r' },
        }),
      /four-eyes/,
    );
  });
});

describe('request schemas', () => {
  const refusal = (parse: () => unknown) => {
    try {
      parse();
    } catch (err) {
      assert.ok(err instanceof InvalidReleaseRequestError);
      return err;
    }
    assert.fail('accepted');
  };

  it('refuse a look-alike pre-approver or approver list, naming the field and the rule', () => {
    const request = { machineId: ID, comment: 'Clean', requestedBy: ALICE };
    for (const [, name, rule] of LOOK_ALIKES_OF_ALICE) {
      const err = refusal(() =>
        parseReleaseRequest({ ...request, approval: { preApprovedBy: name, reason: 'CHG-1' } }),
      );
      assert.deepEqual(err.fields, ['approval.preApprovedBy']);
      assert.match(err.message, new RegExp(`approval\\.preApprovedBy .*(${rule.source})`));
    }
    const batch = { machineIds: [ID], comment: 'Clean', requestedBy: ALICE };
    const fullwidth = refusal(() =>
      parseBulkRequest({ ...batch, approval: { approvers: ['ＡＬＩＣＥ@contoso.com'] } }),
    );
    assert.match(fullwidth.message, /approval\.approvers must name someone other than requestedBy \(four-eyes\)/);
  });

  it('store names in their normalised form', () => {
    const valid = parseReleaseRequest({
      machineId: ID,
      comment: 'Clean',
      requestedBy: ' ａlice@contoso.com ',
      approval: { approvers: ['Bob  Smith'] },
    });
    assert.equal(valid.requestedBy, ALICE);
    assert.deepEqual(valid.approval, { kind: 'required', approvers: ['Bob Smith'], timeoutMs: 86_400_000 });
  });
});
