import { ARRIVAL_SLACK_MS, URGENT_PRIORITY, type CallWindows } from '../../contract/index.js';

/** Defender's windows in ms of our clock (shorter for a time-compressed simulator), each with the arrival slack. */
export function windowLengths(windows: CallWindows): { minuteMs: number; hourMs: number } {
  return {
    minuteMs: 60_000 / windows.timeScale + ARRIVAL_SLACK_MS,
    hourMs: 3_600_000 / windows.timeScale + ARRIVAL_SLACK_MS,
  };
}

/**
 * The calls a caller of this priority may make in each window. Calls other than urgent ones leave a reserve of both
 * windows (a tenth of the minute, 1.5 % of the hour, at least 3 calls each): a person's release then finds room at
 * once while a batch keeps the rest of the budget busy.
 */
export function capsFor(windows: CallWindows, priority: number): { minute: number; hour: number } {
  const minute = Math.floor(windows.perMinute * windows.headroom);
  const hour = Math.floor(windows.perHour * windows.headroom);
  if (priority <= URGENT_PRIORITY) return { minute, hour };
  return {
    minute: Math.max(minute - Math.max(Math.ceil(minute * 0.1), 3), 1),
    hour: Math.max(hour - Math.max(Math.ceil(hour * 0.015), 3), 1),
  };
}

/**
 * How many of `calls` fit both sliding windows now, and, for those that do not, how long until the next one would
 * (0 when all fit). `grants` are the times of earlier grants, oldest first.
 */
export function fit(
  grants: readonly number[],
  now: number,
  request: { calls: number; priority: number; windows: CallWindows },
): { granted: number; retryAfterMs: number } {
  const { minuteMs, hourMs } = windowLengths(request.windows);
  const caps = capsFor(request.windows, request.priority);
  const inMinute = since(grants, now - minuteMs);
  const inHour = since(grants, now - hourMs);
  const room = Math.max(0, Math.min(caps.minute - inMinute.length, caps.hour - inHour.length));
  const granted = Math.min(room, request.calls);
  if (granted === request.calls) return { granted, retryAfterMs: 0 };
  // One more call fits once enough of the oldest grants have left each window (those granted now included).
  const freeAt = Math.max(
    leavesAt(inMinute, inMinute.length + granted + 1 - caps.minute, { now, windowMs: minuteMs }),
    leavesAt(inHour, inHour.length + granted + 1 - caps.hour, { now, windowMs: hourMs }),
  );
  return { granted, retryAfterMs: Math.max(Math.ceil(freeAt - now), 1) };
}

/** The grants later than `after` (grants are sorted): binary search, the ledger holds up to an hour of them. */
export function since(grants: readonly number[], after: number): readonly number[] {
  let lo = 0;
  let hi = grants.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (grants[mid]! > after) hi = mid;
    else lo = mid + 1;
  }
  return grants.slice(lo);
}

/**
 * When the `count` oldest grants of a window will have left it (-Infinity when none need to). Beyond the grants
 * already in it, the ones being granted `now` are the next to leave.
 */
function leavesAt(inWindow: readonly number[], count: number, at: { now: number; windowMs: number }): number {
  if (count <= 0) return -Infinity;
  const oldest = count <= inWindow.length ? inWindow[count - 1]! : at.now;
  return oldest + at.windowMs;
}
