/**
 * Free text a person or a playbook sends (comments, reasons, incident ids): what it may not contain. Workflow-safe, so
 * that the approve/reject validators apply the same rule as the request schemas.
 */

/** `U+200B`: how a refusal names a character, so that it never echoes the character (or the value) itself. */
export function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

// Every C0/C1 control, newline and tab included: a newline in a comment forges a second line in logs, in the CLI and
// in Defender's audit trail, and an escape (ESC) rewrites a terminal. Line and paragraph separators break lines too.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
// Explicit bidi embeddings, overrides and isolates reorder what is shown ("Trojan Source"). The marks (LRM, RLM, ALM)
// only set a direction: Hebrew and Arabic text needs them, and they cannot move strong characters.
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/u;

/** Why a free text is refused, or null. Names the rule and the first offending character. */
export function textProblem(text: string): string | null {
  const control = CONTROL.exec(text)?.[0];
  if (control !== undefined) return `must not contain control characters or line breaks (${codePoint(control)})`;
  const bidi = BIDI_CONTROL.exec(text)?.[0];
  if (bidi !== undefined) return `must not contain bidirectional override or isolate characters (${codePoint(bidi)})`;
  return null;
}
