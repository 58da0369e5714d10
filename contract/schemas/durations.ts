import ms from 'ms';
import { z } from 'zod';

export const SECOND = 1_000;
export const DAY = 86_400_000;

/** Milliseconds for a duration given as milliseconds or a string like '30s', '24h', '3 days'; NaN when it is neither. */
export function durationMs(value: string | number): number {
  if (typeof value === 'number') return value;
  return ms(value as ms.StringValue) ?? Number.NaN;
}

/** A duration within bounds, as milliseconds. */
export function duration(options: { min: number; max: number; label: string }) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const millis = durationMs(value);
    if (!Number.isFinite(millis)) {
      ctx.addIssue({ code: 'custom', message: `is not a duration (use e.g. '30s', '24h', or milliseconds)` });
      return z.NEVER;
    }
    if (millis < options.min || millis > options.max) {
      ctx.addIssue({ code: 'custom', message: `must be between ${options.label}` });
      return z.NEVER;
    }
    return millis;
  });
}
