import ms from 'ms';
import { z } from 'zod';

export const SECOND = 1_000;
export const DAY = 86_400_000;

/** Milliseconds for a duration given as milliseconds or a string like '30s', '24h', '3 days'; NaN when it is neither. */
export function durationMs(value: string | number): number {
  if (typeof value === 'number') return value;
  return ms(value as ms.StringValue) ?? Number.NaN;
}

const EXAMPLES = "e.g. '30s', '24h', or milliseconds";

/**
 * A duration within bounds, as milliseconds. Not a union of string and number: zod refuses NaN and Infinity as
 * numbers, and a union then answers only "Invalid input"; here every refusal names the rule.
 */
export function duration(options: { min: number; max: number; label: string }) {
  return z
    .custom<string | number>((v) => typeof v === 'string' || typeof v === 'number', {
      error: `must be a duration (${EXAMPLES})`,
    })
    .transform((value, ctx) => {
      const millis = durationMs(value);
      if (Number.isNaN(millis)) {
        ctx.addIssue({ code: 'custom', message: `is not a duration (use ${EXAMPLES})` });
        return z.NEVER;
      }
      // Infinity lands here too: it is a number, just not one within bounds.
      if (!(millis >= options.min && millis <= options.max)) {
        ctx.addIssue({ code: 'custom', message: `must be a duration between ${options.label}` });
        return z.NEVER;
      }
      return millis;
    });
}
