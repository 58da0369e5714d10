/** How the CLI talks to people (tables, progress lines on stderr) and to playbooks (`--json` on stdout). */

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Columns padded to their widest cell; an empty list says so instead of printing a bare header. */
export function table(
  rows: Record<string, string>[],
  columns: { key: string; title: string }[],
  empty: string,
): string {
  if (rows.length === 0) return empty;
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
