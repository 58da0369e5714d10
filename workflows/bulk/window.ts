import * as wf from '@temporalio/workflow';
import { parseReleaseReport, releaseWorkflowId, type MachineOutcome } from '../../contract/index.js';
import type { Batch } from './batch.js';
import { IDS_PER_CALL, needsRelease, readMachines, type MachineRead } from './check.js';
import { releaseChild } from './child-release.js';
import { sweepUnreported } from './sweep.js';

/** Children started per run before the batch continues as new, keeping each run's history small. */
const CHILDREN_PER_RUN = 500;

/**
 * The batch's sliding window (Temporal's sliding-window batch pattern): at most `concurrency` releases running at
 * once, this run's and those earlier runs left running, which report by signal. A run hands its running releases to
 * the next one instead of waiting for them, so one offline device never holds the whole batch.
 */
export class ReleaseWindow {
  /** Releases started and not ended, by this run or (reporting by signal) by earlier ones. */
  readonly open: Set<string>;
  /** Earlier runs' releases this run waits on, settled by their outcome signal. */
  readonly #reported = new Map<string, () => void>();
  readonly #running = new Set<Promise<void>>();
  /** Children whose start the server has not confirmed: the run must not continue as new before it does. */
  #starting = 0;

  constructor(
    private readonly batch: Batch,
    inFlight: string[],
  ) {
    this.open = new Set(inFlight);
    this.#handedOver = new Set(inFlight);
  }

  /** Earlier runs' releases that said they ended, to be looked up: the nudges of `releaseOutcome`. */
  readonly #reports = new Set<string>();
  /** The releases earlier runs handed over: the only ones whose nudges this run takes (its own it awaits). */
  readonly #handedOver: ReadonlySet<string>;

  /** A `releaseOutcome` nudge: noted for an earlier run's release this run waits on; anything else is ignored. */
  noteReport(report: unknown): void {
    const machineId = parseReleaseReport(report);
    if (machineId !== null && this.#handedOver.has(machineId) && this.open.has(machineId)) this.#reports.add(machineId);
  }

  /** The nudged releases to look up, taken once. */
  takeReports(): string[] {
    const reports = [...this.#reports];
    this.#reports.clear();
    return reports;
  }

  get hasReports(): boolean {
    return this.#reports.size > 0;
  }

  /** An earlier run's release ended, as Temporal's record of it says (looked up when it said so, or by the sweep). */
  settle(machineId: string, outcome: MachineOutcome): void {
    if (!this.open.has(machineId)) return; // a release that already ended, or not one of ours
    this.batch.outcomes[machineId] ??= outcome;
    this.open.delete(machineId);
    this.#reported.get(machineId)?.();
  }

  /** Earlier runs' releases this run still waits on. */
  unreported(): string[] {
    return [...this.#reported.keys()].filter((id) => this.open.has(id));
  }

  /** Releases the targets from `from` on; returns where the next run goes on (the end: all done). */
  async run(from: number, known: Map<string, MachineRead> | undefined): Promise<number> {
    // Nothing of this run has started yet: what is open are earlier runs' releases that have not reported.
    const waitsOnEarlierRuns = this.open.size > 0;
    if (waitsOnEarlierRuns) this.#waitOnEarlierRuns();
    const sweep = waitsOnEarlierRuns ? new wf.CancellationScope() : undefined;
    const swept = sweep?.run(() => sweepUnreported(this.batch, this));
    const index = Math.min(await this.#startReleases(from, known), this.batch.targets.length);
    // The next run takes over the releases still running (they report by signal); the last run waits for them all.
    if (index >= this.batch.targets.length) await Promise.all(this.#running);
    else await wf.condition(() => this.#starting === 0);
    sweep?.cancel();
    await swept;
    return index;
  }

  /** Cancelling the batch: this run's children are cancelled with it, earlier runs' releases are cancelled here. */
  async cancelEarlierRuns(): Promise<void> {
    const cancels = this.unreported().map(
      (id) =>
        wf
          .getExternalWorkflowHandle(releaseWorkflowId(id))
          .cancel()
          .catch(() => undefined), // ended meanwhile
    );
    await Promise.all(cancels);
  }

  /** Earlier runs' releases count against the concurrency until they report, or the batch is cancelled. */
  #waitOnEarlierRuns(): void {
    const cancelled = batchCancelled();
    for (const id of this.open) {
      const report = new Promise<void>((resolve) => this.#reported.set(id, resolve));
      const settled: Promise<void> = Promise.race([report, cancelled]).finally(() => this.#running.delete(settled));
      // A cancel is met where the run awaits its releases; a wait it rejects while the run awaits another thing (a
      // read) is not a second, unhandled failure.
      settled.catch(() => undefined);
      this.#running.add(settled);
    }
  }

  async #startReleases(from: number, known: Map<string, MachineRead> | undefined): Promise<number> {
    const { targets, outcomes } = this.batch;
    let started = 0;
    let index = from;
    while (index < targets.length && started < CHILDREN_PER_RUN && !wf.workflowInfo().continueAsNewSuggested) {
      const chunk = targets.slice(index, index + IDS_PER_CALL).filter((id) => outcomes[id] === undefined);
      index += IDS_PER_CALL;
      // After an approval wait the machines are read again, chunk by chunk, right before acting.
      const reads = known ?? (await readMachines(this.batch, chunk));
      for (const machineId of chunk) {
        const read = reads.get(machineId)!;
        if (!read.machine) outcomes[machineId] = 'not-found';
        else if (!needsRelease(read)) outcomes[machineId] = 'already-released';
        else {
          while (this.#running.size >= this.batch.request.concurrency) await Promise.race(this.#running);
          this.#start(machineId, read);
          started += 1;
        }
      }
    }
    return index;
  }

  #start(machineId: string, read: MachineRead): void {
    this.open.add(machineId);
    const child: Promise<void> = releaseChild(this.batch, machineId, read, (start) => this.#counted(start)).finally(
      () => {
        this.#running.delete(child);
        this.open.delete(machineId);
      },
    );
    this.#running.add(child);
  }

  async #counted<T>(start: () => Promise<T>): Promise<T> {
    this.#starting += 1;
    try {
      return await start();
    } finally {
      this.#starting -= 1;
    }
  }
}

/** Rejects once the batch is cancelled: a wait on signals is not cancellable by itself. */
function batchCancelled(): Promise<never> {
  return new Promise((_, reject) => {
    wf.CancellationScope.current().cancelRequested.catch(reject);
  });
}
