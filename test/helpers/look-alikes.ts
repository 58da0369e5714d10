/** The names that passed as someone else in issue 15: look-alikes of `alice@contoso.com`, and how each is refused. */

export const ALICE = 'alice@contoso.com';

/** [trick, name, what its refusal names]: the rule and character, or four-eyes for a name that is Alice once folded. */
export const LOOK_ALIKES_OF_ALICE: [string, string, RegExp][] = [
  ['zero-width space', 'alice\u200b@contoso.com', /invisible or formatting characters \(U\+200B\)/],
  ['zero-width joiner', 'ali\u200dce@contoso.com', /invisible or formatting characters \(U\+200D\)/],
  ['left-to-right mark', '\u200ealice@contoso.com', /invisible or formatting characters \(U\+200E\)/],
  ['Cyrillic а', '\u0430lice@contoso.com', /must not mix Latin and Cyrillic letters \(U\+0430\)/],
  ['fullwidth ａ', '\uff41lice@contoso.com', /four-eyes/],
  ['capital I for l', 'aIice@contoso.com', /four-eyes/],
  ['trailing NUL', 'alice@contoso.com\u0000', /control characters or line breaks \(U\+0000\)/],
  ['ANSI escape', '\u001b[1malice@contoso.com\u001b[0m', /control characters or line breaks \(U\+001B\)/],
  ['newline', 'alice@contoso.com\napproved by CISO', /control characters or line breaks \(U\+000A\)/],
  ['right-to-left override', 'alice@contoso.com\u202e', /bidirectional override or isolate characters \(U\+202E\)/],
];

/** A workflow id that would forge a second correlation tag, a line and a terminal escape in Defender's audit trail. */
export const FORGING_WORKFLOW_ID = 'release-x] [defender-isolation forged 00000000]\n\u001b[2Japproved by CISO';
