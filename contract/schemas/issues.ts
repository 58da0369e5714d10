import type { z } from 'zod';
import { listSome, MAX_MESSAGE, quoteName, truncate } from '../bounded-text.js';

/**
 * zod's issues as one message for people. The message ends up in the workflow's failure and history, so it names each
 * field and rule but never echoes a value, and it is bounded however large or broken the input: unknown keys are cut
 * and listed a few at a time, at most `MAX_ISSUES` problems are spelled out, the whole at most `MAX_MESSAGE` long.
 */

/** Problems spelled out in one message; the rest are counted. */
export const MAX_ISSUES = 10;
/** Offending fields listed in an error's `fields`. */
export const MAX_FIELDS = 20;
/** A dotted path is made of schema keys and array indices; this only guards against a pathological depth. */
const MAX_FIELD = 100;
/** One problem's text (our messages are far shorter; this guards zod's own). */
const MAX_ISSUE_MESSAGE = 200;

/** One readable message naming every offending field (up to a bound), and the fields. */
export function formatIssues(error: z.ZodError, input: unknown): { message: string; fields: string[] } {
  const issues = error.issues.map((issue) => ({
    field: truncate(issue.path.join('.') || 'request', MAX_FIELD),
    message: truncate(describeIssue(issue, input), MAX_ISSUE_MESSAGE),
  }));
  const shown = issues.slice(0, MAX_ISSUES).map((i) => `${i.field} ${i.message}`);
  if (issues.length > MAX_ISSUES) shown.push(`and ${issues.length - MAX_ISSUES} more problems`);
  return {
    message: truncate(shown.join('; '), MAX_MESSAGE),
    fields: [...new Set(issues.map((i) => i.field))].slice(0, MAX_FIELDS),
  };
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    return `has unknown field(s) ${listSome(issue.keys.map((key) => quoteName(key)))}`;
  }
  if (issue.code === 'invalid_type') {
    if (valueAt(input, issue.path) === undefined) return 'is required';
    // A schema's own wording ("must be a list of names") says more than zod's "Invalid input: expected array".
    if (!issue.message.startsWith('Invalid input')) return issue.message;
    return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  }
  return issue.message;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
