/**
 * Who asked and who decided, compared as people see them. Four-eyes is only as good as "is this the same person?":
 * `alice@contoso.com` with a zero-width space, a Cyrillic а or a fullwidth ａ looks like Alice to whoever reads the
 * audit trail. Workflow-safe: the approve/reject validators apply it as the request schemas do.
 */
import { mixedScriptProblem } from './scripts.js';
import { skeleton } from './skeleton.js';
import { codePoint, textProblem } from './text.js';

export const MAX_IDENTITY_LENGTH = 200;

// Whitespace but the plain space: a no-break, ideographic or other space makes a second name that looks the same
// (control whitespace such as a newline is refused as a control character first).
const ODD_SPACE = /(?! )\p{White_Space}/u;
// Characters that show nothing: formatting (zero-width space and joiners, bidi marks, the BOM, tags), the default
// ignorables (Hangul fillers, variation selectors) and the blank Braille pattern, which is not one but looks it.
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;
// Code points no font draws as one agreed letter: unassigned, private use, lone surrogates.
const UNDEFINED = /[\p{Cn}\p{Co}\p{Cs}]/u;

/** An identity in the form to store and show (NFKC, trimmed, single spaces), or why it is refused. */
export type IdentityCheck = { identity: string; problem?: undefined } | { identity?: undefined; problem: string };

/**
 * Checks a name given as requester, approver or pre-approver. The problem names the rule and the first offending
 * character as `U+XXXX`, never the value, so a refusal can be shown and logged as it is.
 */
export function checkIdentity(value: unknown): IdentityCheck {
  if (typeof value !== 'string') return { problem: 'must be a string' };
  if (value.length > MAX_IDENTITY_LENGTH) return { problem: `must be at most ${MAX_IDENTITY_LENGTH} characters` };
  const raw = characterProblem(value);
  if (raw) return { problem: raw };
  const identity = value.normalize('NFKC').replace(/ {2,}/g, ' ').trim();
  // NFKC turns some characters into others (fullwidth into ASCII, ﬁ into fi): the result is checked again.
  const normalised = characterProblem(identity) ?? mixedScriptProblem(identity);
  if (normalised) return { problem: normalised };
  if (identity === '') return { problem: 'must not be empty' };
  if (identity.length > MAX_IDENTITY_LENGTH) return { problem: `must be at most ${MAX_IDENTITY_LENGTH} characters` };
  return { identity };
}

function characterProblem(value: string): string | null {
  const text = textProblem(value);
  if (text) return text;
  const space = ODD_SPACE.exec(value)?.[0];
  if (space !== undefined) return `must not contain whitespace other than a plain space (${codePoint(space)})`;
  const invisible = INVISIBLE.exec(value)?.[0];
  if (invisible !== undefined) {
    return `must not contain invisible or formatting characters (${codePoint(invisible)})`;
  }
  const undefinedCharacter = UNDEFINED.exec(value)?.[0];
  if (undefinedCharacter !== undefined) {
    return `must not contain unassigned or private-use characters (${codePoint(undefinedCharacter)})`;
  }
  return null;
}

/**
 * What two identities are compared by: case folded (full folding: ß and ss, ı and i), then the UTS #39 skeleton, so
 * that look-alikes are one person. Not for display.
 */
export function identityKey(identity: string): string {
  const folded = identity.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
  return skeleton(folded.replace(/\s+/g, ' ').trim());
}

/** Whether two names stand for the same person, as a reader of the audit trail would take them. */
export function sameIdentity(a: string, b: string): boolean {
  return identityKey(a) === identityKey(b);
}

/**
 * The skeleton taken before case folding: confusables map capital I to l and 0 to O, which folding first would erase
 * (`aIice` would pass for someone other than `alice`).
 */
function caseSensitiveKey(identity: string): string {
  const shape = skeleton(identity.normalize('NFKC').replace(/\s+/g, ' ').trim());
  return shape.toUpperCase().toLowerCase();
}

/**
 * Whether a name could pass for another, either way of folding: what four-eyes refuses. Looser than `sameIdentity`,
 * which an approver list is matched by (a look-alike of an approver is not that approver).
 */
export function couldPassFor(a: string, b: string): boolean {
  return sameIdentity(a, b) || caseSensitiveKey(a) === caseSensitiveKey(b);
}
