// Collects the outcomes of finished jobs and writes them to the store in batches: one settle()
// per turn of the event loop at most, one in flight at a time, so under load many outcomes ride
// one round trip. A failed write keeps its outcomes and tries again (settle is safe to repeat:
// outcomes apply only to jobs still held). flush() resolves once everything added is written.
// stop() ends it: no retry timer is left to keep the process alive, and outcomes not yet written
// are dropped (their jobs are still in the worker's in-flight set, so recovery hands them back).

import type { Outcome, Store } from '../storage/types.ts';
import type { Logger } from '../log.ts';
import { defaults } from '../defaults.ts';

export class Settler {
  private pending: Outcome[] = [];
  private writing: Promise<void> | undefined;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: Pick<Store, 'settle'>,
    private readonly workerId: () => string,
    private readonly log: Logger,
    private readonly retryDelayMs = 200,
  ) {}

  add(outcome: Outcome): void {
    if (this.stopped) return;
    this.pending.push(outcome);
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setImmediate(() => this.write());
    }
  }

  get size(): number {
    return this.pending.length;
  }

  private write(): void {
    this.scheduled = false;
    if (this.stopped) return;
    if (this.writing || this.pending.length === 0) return this.notifyIfIdle();
    const batch = this.pending.splice(0, defaults.maxBatch);
    this.writing = this.store.settle(this.workerId(), batch).then(
      () => {
        this.writing = undefined;
        this.write();
      },
      (error: unknown) => {
        if (this.stopped) return;
        this.log.warn({ err: error, outcomes: batch.length }, 'could not record finished jobs; retrying');
        this.pending.unshift(...batch);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.writing = undefined;
          this.write();
        }, this.retryDelayMs);
      },
    );
  }

  private notifyIfIdle(): void {
    if (this.writing || this.pending.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves when every outcome added so far has been written (or at stop()). */
  flush(): Promise<void> {
    if (this.stopped || (!this.writing && this.pending.length === 0)) return Promise.resolve();
    if (!this.writing && !this.scheduled) this.write();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops for good: cancels a pending retry, drops unwritten outcomes (returns how many) and
   * resolves flush() waiters. Call it after flush() (or its deadline) when the worker stops. A
   * write already sent may still land; one that fails is not retried.
   */
  stop(): number {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const dropped = this.pending.length;
    this.pending = [];
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    return dropped;
  }
}
