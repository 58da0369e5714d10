/**
 * Defender's timestamps carry up to 7 fractional digits (`2018-12-04T12:43:57.2011911Z`) and actions can be created
 * less than a millisecond apart; `Date` keeps milliseconds only. Actions are ordered by this key instead: the UTC time
 * with all 7 digits, as a string that sorts like the time.
 */
export function timeKey(timestamp: string | null | undefined): string {
  if (!timestamp) return '';
  const exact = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?Z$/.exec(timestamp);
  if (exact) return `${exact[1]}.${(exact[2] ?? '').padEnd(7, '0')}`;
  // Another offset or format: to the millisecond, which is all `Date` can tell.
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? '' : `${new Date(ms).toISOString().slice(0, 23)}0000`;
}

/** Compares two timestamps to Defender's full precision: negative when `a` is earlier. */
export function compareTimes(a: string | null | undefined, b: string | null | undefined): number {
  const [x, y] = [timeKey(a), timeKey(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
