import * as wf from '@temporalio/workflow';

/**
 * A timer that bounds a release's wait and is left running once the wait is over, unlike `wf.condition(fn, timeout)`,
 * which cancels it: a cancellation costs a TimerCanceled event, while a release ends soon after its waits (a pending
 * timer of a closed run costs nothing). Should it fire later, it only marks itself fired: the waits it bounded have
 * returned, so it cannot change the outcome. Cancelling its scope (a cancelled release) still cancels it.
 */
export class LeftRunningTimer {
  #fired = false;
  readonly #firing: Promise<void>;

  constructor(ms: number, summary: string) {
    this.#firing = wf.sleep(ms, { summary }).then(() => {
      this.#fired = true;
    });
    // A cancellation after the last wait returned is nobody's failure (the wait that sees it reports it).
    this.#firing.catch(() => undefined);
  }

  /** Waits until `fn` holds or the timer fires; true when `fn` holds (also when both happened at once). */
  async waitFor(fn: () => boolean): Promise<boolean> {
    if (!fn() && !this.#fired) await Promise.race([this.#firing, wf.condition(fn)]);
    return fn();
  }
}
