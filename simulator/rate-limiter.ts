/**
 * Defender's throttle: N calls per minute and M per hour for each application + tenant. Modelled as sliding windows
 * over the calls admitted so far; refused calls do not count.
 */
export interface RateLimits {
  perMinute: number;
  perHour: number;
}

export class SlidingWindowLimiter {
  readonly #calls = new Map<string, number[]>();

  constructor(
    private readonly limits: RateLimits,
    /** Real milliseconds per simulated minute and hour (time compression divides them). */
    private readonly windows: { minuteMs: number; hourMs: number },
  ) {}

  /** Admits the call, or says how long (real ms) until it would be admitted. */
  tryAcquire(key: string, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const calls = this.#calls.get(key) ?? [];
    const horizon = now - this.windows.hourMs;
    let drop = 0;
    while (drop < calls.length && calls[drop]! <= horizon) drop++;
    if (drop > 0) calls.splice(0, drop);

    const inMinute = calls.filter((t) => t > now - this.windows.minuteMs);
    const waits: number[] = [];
    if (inMinute.length >= this.limits.perMinute) {
      waits.push(inMinute[inMinute.length - this.limits.perMinute]! + this.windows.minuteMs - now);
    }
    if (calls.length >= this.limits.perHour) {
      waits.push(calls[calls.length - this.limits.perHour]! + this.windows.hourMs - now);
    }
    if (waits.length > 0) return { ok: false, retryAfterMs: Math.max(1, ...waits) };
    calls.push(now);
    this.#calls.set(key, calls);
    return { ok: true };
  }

  reset(): void {
    this.#calls.clear();
  }
}
