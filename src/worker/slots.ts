// A worker's slot bookkeeping: the buffer (jobs held but not started, in the order reserved),
// the running map (jobs in a slot, at most `concurrency`) and the started watermark. Lifecycle:
// made with the worker; jobs come in with add(), move to a slot in fill(), leave with free();
// disown() empties it when the store declared the worker dead, and takeUnstarted()/abandon() when
// it stops. Invariants: jobs start in token order (the buffer is FIFO and reserves come in token
// order), so `startedUpTo`, the highest token started, tells the store which held jobs had started
// if the worker dies; a job marked `released` was put back (or handed to others) and its outcome
// must never be settled: the worker checks the flag when the job finishes.

import type { ReservedJob } from '../storage/types.ts';

export interface Running {
  job: ReservedJob;
  /** Epoch ms; a number, not a Date, because this is made for every job. */
  startedAt: number;
  released: boolean;
}

export interface SlotHandlers {
  /** Checked before each job is started: only a running worker starts jobs. */
  open(): boolean;
  /** A job moved from the buffer to a slot (before its watermark and its run). */
  started(job: ReservedJob): void;
  /** The started watermark rose to `token`. */
  watermark(token: number): void;
  /** Runs the job in its slot; the runner calls free() when it is done. */
  run(running: Running): void;
}

export class Slots {
  private readonly buffer: ReservedJob[] = [];
  private readonly running = new Map<string, Running>();
  /** The highest token started (jobs start in token order). */
  private startedUpTo_ = 0;

  constructor(private readonly concurrency: number, private readonly on: SlotHandlers) {}

  get startedUpTo(): number {
    return this.startedUpTo_;
  }

  /** Jobs running now (busy slots). */
  get busy(): number {
    return this.running.size;
  }

  /** Jobs held but not started. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Jobs held: running, then waiting in the buffer. */
  get held(): number {
    return this.running.size + this.buffer.length;
  }

  /** The first running job (the one shown as `workingOn`), if any. */
  first(): Running | undefined {
    return this.running.values().next().value as Running | undefined;
  }

  add(jobs: readonly ReservedJob[]): void {
    for (const job of jobs) this.buffer.push(job);
  }

  /** Starts buffered jobs while a slot is free. */
  fill(): void {
    while (this.running.size < this.concurrency && this.buffer.length > 0 && this.on.open()) {
      const job = this.buffer.shift()!;
      const running: Running = { job, startedAt: Date.now(), released: false };
      this.running.set(job.token, running);
      this.on.started(job);
      const token = Number(job.token);
      if (token > this.startedUpTo_) {
        this.startedUpTo_ = token;
        this.on.watermark(token);
      }
      this.on.run(running);
    }
  }

  free(running: Running): void {
    this.running.delete(running.job.token);
  }

  /**
   * The store handed this worker's jobs to others: unstarted ones are dropped, running ones may
   * finish but are marked released (never settled), and the watermark restarts for the new
   * instance (the old one's id may already be someone else's). Returns how many were dropped.
   */
  disown(): number {
    const dropped = this.buffer.length;
    this.buffer.length = 0;
    for (const running of this.running.values()) running.released = true;
    this.startedUpTo_ = 0;
    return dropped;
  }

  /** Empties the buffer; the caller puts these tokens back. */
  takeUnstarted(): string[] {
    return this.buffer.splice(0).map((job) => job.token);
  }

  /** Marks every running job released (the caller puts them back) and returns them. */
  abandon(): Running[] {
    const abandoned = [...this.running.values()];
    for (const running of abandoned) running.released = true;
    return abandoned;
  }
}
