/** How the CLI talks to people (tables, progress lines on stderr) and to playbooks (`--json` on stdout). */

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

// What must not reach a terminal as it is: controls (ESC starts a sequence that rewrites the screen, a newline forges
// a line such as "approved by CISO"), formatting and bidi controls (an RLO reorders what follows), line separators,
// invisible characters (a name with a zero-width space looks like another) and lone surrogates.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Cs}]/gu;

/**
 * A value that came from a workflow or the server (a status, a name, a comment, a failure message, a list row), as
 * the CLI prints it: every unprintable character shown escaped (`\u{1b}`, `\u{202e}`), the rest as it is. Workflows
 * refuse such characters in what they accept, but a status may come from an older release or another client.
 */
export function terminalSafe(value: unknown): string {
  return String(value).replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** A template tag for the CLI's lines: its own text as written, every interpolated value through `terminalSafe`. */
export function safe(text: TemplateStringsArray, ...values: unknown[]): string {
  return text.reduce((line, part, i) => line + terminalSafe(values[i - 1]) + part);
}

/**
 * `--json` output: JSON escapes C0 controls in strings already; DEL, C1 controls and the other unprintable characters
 * are escaped too (`\u202e`), so the output is still the same JSON for a playbook and shows nothing hidden in a
 * terminal. (Its own line breaks, between values, stay.)
 */
export function safeJson(data: unknown): string {
  return JSON.stringify(data, null, 2).replace(UNPRINTABLE, (c) => (c === '\n' ? c : jsonEscape(c)));
}

/** `\uXXXX` for each UTF-16 unit (a character outside the BMP, such as a tag character, takes two). */
const jsonEscape = (c: string) =>
  Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** Columns padded to their widest cell; an empty list says so instead of printing a bare header. Cells are server data. */
export function table(
  data: Record<string, string>[],
  columns: { key: string; title: string }[],
  empty: string,
): string {
  if (data.length === 0) return empty;
  const rows = data.map((r) => Object.fromEntries(columns.map((c) => [c.key, terminalSafe(r[c.key] ?? '')])));
  const widths = columns.map((c) => Math.max(c.title.length, ...rows.map((r) => (r[c.key] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map((r) => line(columns.map((c) => r[c.key] ?? '')))].join('\n');
}

/** A progress line for people: local time and what changed. Goes to stderr so that `--json` stdout stays parseable. */
export function progressLine(text: string, now = new Date()): string {
  return `[${now.toISOString().slice(11, 19)}] ${text}`;
}

/** The CLI's exit codes, for every command. */
export const EXIT = { ok: 0, error: 1, usage: 2, releaseFailed: 3, refused: 4, notFound: 5 } as const;

/** Invalid usage of any command: exit 2, its message shown as it is (the CLI's own text, never a value given). */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** Options of every command that starts a release or a batch (node:util parseArgs form). */

export const REQUEST_OPTIONS = {
  comment: { type: 'string' },
  'requested-by': { type: 'string' },
  approver: { type: 'string', multiple: true },
  'approval-timeout': { type: 'string' },
  'pre-approved-by': { type: 'string' },
  reason: { type: 'string' },
  'poll-interval': { type: 'string' },
  deadline: { type: 'string' },
  'workflow-id': { type: 'string' },
  tenant: { type: 'string' },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
