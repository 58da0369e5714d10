/**
 * Text built from a caller's input that goes into an error: a failure message is stored in workflow history (twice: the
 * validation marker and the close event), returned by `result()`, logged, shown in the UI. A key of 640 KB must not
 * make a failure of 2 MB, so every piece is cut to size here.
 */

/** The longest a name taken from input (an unknown key, a tenant key) is shown, in characters. */
export const MAX_SHOWN_NAME = 40;
/** How many names of one kind a message lists before it says "and N more". */
export const MAX_SHOWN_NAMES = 5;
/** The longest an error message built from input gets, in characters (well below Temporal's 2 MB payload limit). */
export const MAX_MESSAGE = 2_000;

/** A name from input, quoted (control characters escaped by JSON) and cut to `max` characters. */
export function quoteName(name: string, max = MAX_SHOWN_NAME): string {
  return JSON.stringify(truncate(name, max));
}

/** At most `max` characters of `text`, marked with "…" when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never cut a surrogate pair in half: a lone surrogate does not survive the trip through UTF-8.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/** The first `max` items joined with ", ", then "and N more" for the rest. */
export function listSome(items: readonly string[], max = MAX_SHOWN_NAMES): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
