import type { z } from 'zod';
import { listSome, quoteName, truncate } from '../contract/bounded-text.js';

/**
 * How configuration errors are worded. They name the variable (or the tenant and field) and the rule, never the value:
 * a secret pasted into the wrong variable, or a path or URL that holds one, must not be printed back to a log.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** One line per zod issue: `  <path>: <rule>`. zod's own messages name what was expected, never what was received. */
export function describeConfigIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const rule =
        issue.code === 'unrecognized_keys'
          ? `unrecognized key(s) ${listSome(issue.keys.map((key) => quoteName(key)))}`
          : issue.message;
      return `  ${truncate(issue.path.join('.'), 100)}: ${truncate(rule, 300)}`;
    })
    .join('\n');
}

/** Why a configured file cannot be read, from its error code; the path is not repeated (the variable names it). */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'the worker may not read it';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return `cannot be read (${code ?? 'unknown error'})`;
}
