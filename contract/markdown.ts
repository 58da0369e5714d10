/**
 * Text that the Temporal UI renders as markdown: a workflow's summary, details and current details. A requester, an
 * approver, an incident id or a string from Defender's answers must read there as the text it is: a name such as
 * `[Approve here](https://…)` must become neither a link on the page an approver reads nor emphasis. Two renderers
 * read it: the UI server's (gomarkdown with its common extensions, as in the Temporal CLI and the ui-server image:
 * raw HTML kept, bare `https://` URLs linked, `~~strike~~`, `$math$`) and the SvelteKit app's (CommonMark and GFM
 * tables). Both take a backslash before ASCII punctuation as that character. Workflow-safe.
 */

// What opens inline syntax within a line in either renderer. `&` starts a character reference (`&#8203;` would draw a
// zero-width space); the colon of `https://`, `ftp://`, `file://` or `mailto:` is what makes gomarkdown link a bare
// address (a colon elsewhere, as in `playbook:incident-42`, stays as it is); the UI fills in `{workflowId}`, `{runId}`
// and `{namespace}` in what it renders. What acts only at the start of a line (#, -, +, >, digits, a definition's `:`)
// cannot: a line break, which would start one, becomes a space.
const INLINE_SYNTAX = /[\\`*_[\]<>&|{}~$]|:(?=\/)|(?<=mailto):/gi;
const LINE_BREAK_OR_CONTROL = /[\p{Cc}\u2028\u2029]/gu;

/** `text` as markdown that renders as exactly `text`, on the line it is put in (controls shown as spaces). */
export function markdownText(text: string): string {
  return text.replace(LINE_BREAK_OR_CONTROL, ' ').replace(INLINE_SYNTAX, (character) => `\\${character}`);
}
