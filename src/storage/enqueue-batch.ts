// Micro-batching of single enqueues: the jobs pushed one by one during one turn of the event
// loop's work (the current callback and the promise jobs it sets off) are written to the store
// together, as one Redis call or one SQLite transaction, and each caller's promise settles with
// that write. A web server awaiting many enqueues at once pays one round trip for all of them.
// Lifecycle: one per store; add() per job; flushNow() before a write that must come after the
// pending jobs (a bulk push); close() fails what is left.
// Invariants:
// - A lone job is not delayed: its write starts in a process.nextTick callback, before any timer,
//   I/O callback or setImmediate of this event loop turn can run.
// - Jobs are written in add() order, so one caller's jobs keep their order in each queue.
// - Every caller of a batch is settled by that batch: resolved when its job was stored,
//   rejected with the error when the write failed (none is left waiting). A write made of
//   independent parts (one call per queue) may report an error per job instead.
// - With `maxInFlight` batches unanswered, new jobs wait for the next reply instead of going out
//   in a write of their own: under load the next batch grows while the previous one travels.

import type { QueuedJob } from './types.ts';

interface Pending {
  readonly job: QueuedJob;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface EnqueueBatchOptions {
  /**
   * Writes jobs (in order) to the store; resolves once they are stored. It may resolve to one
   * entry per job instead: undefined for a stored job, the error for one that was not.
   */
  write(jobs: readonly QueuedJob[]): Promise<void | readonly unknown[]>;
  /** Jobs per write at most (a longer queue of callers is written in several). */
  maxBatch: number;
  /** Writes awaiting their reply at most; Infinity writes every turn's jobs at once. */
  maxInFlight: number;
}

export class EnqueueBatch {
  private pending: Pending[] = [];
  private flushQueued = false;
  private inFlight = 0;
  /** Writes started, for tests and the bench: jobs ÷ batches is the sharing achieved. */
  batches = 0;

  constructor(private readonly options: EnqueueBatchOptions) {}

  add(job: QueuedJob): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        // From inside a promise job, a nextTick callback runs once every promise job queued so
        // far has run: the other callers of this turn have added theirs by then.
        process.nextTick(() => {
          this.flushQueued = false;
          this.flush(false);
        });
      }
    });
  }

  /** Starts writing every pending job now, regardless of the in-flight limit. */
  flushNow(): void {
    this.flush(true);
  }

  private flush(force: boolean): void {
    while (this.pending.length > 0 && (force || this.inFlight < this.options.maxInFlight)) {
      const batch = this.pending.length <= this.options.maxBatch ? this.pending : this.pending.slice(0, this.options.maxBatch);
      this.pending = batch === this.pending ? [] : this.pending.slice(batch.length);
      this.send(batch);
    }
  }

  private send(batch: readonly Pending[]): void {
    this.inFlight++;
    this.batches++;
    let written: Promise<void | readonly unknown[]>;
    try {
      written = this.options.write(batch.map((entry) => entry.job));
    } catch (error) {
      written = Promise.reject(error);
    }
    // One reaction, not then().finally(): this runs once per awaited enqueue, so every promise
    // hop shows in a sequential enqueue's CPU.
    written.then(
      (errors) => {
        for (let i = 0; i < batch.length; i++) {
          const error = errors?.[i];
          if (error === undefined) batch[i]!.resolve();
          else batch[i]!.reject(error);
        }
        this.sent();
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
        this.sent();
      },
    );
  }

  private sent(): void {
    this.inFlight--;
    this.flush(false);
  }

  /** Rejects every job not yet written (the store is closing). */
  close(error: Error): void {
    const left = this.pending;
    this.pending = [];
    for (const entry of left) entry.reject(error);
  }
}
