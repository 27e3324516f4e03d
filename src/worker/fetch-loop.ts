// A worker's fetch loop: reserves batches of jobs while there is room (slots plus prefetch),
// waits for work when the queues are empty, and fires the queueEmpty hook once per empty
// stretch. Lifecycle: run() from Worker.start() until the worker leaves 'running'; stop()
// nudges and waits for it. Invariants: it only asks for jobs while running and not paused; jobs
// reserved after the worker began stopping are released at once, never held; it yields to the
// event loop after each batch, so timers (the heartbeat) run even on a store that answers
// synchronously; a worker that may be parked for a hand-off (Store.unpark) is unparked before
// it pauses and when the loop ends, and what was handed to it meanwhile goes back at once.

import { defaults } from '../defaults.ts';
import { trace, type Logger } from '../log.ts';
import type { ReservedJob, Store } from '../storage/types.ts';
import { idleWaitTimeoutMs, type IdleWait } from './idle-wait.ts';
import type { Nudge } from './nudge.ts';
import type { Prefetch } from './prefetch.ts';
import type { Slots } from './slots.ts';
import type { Upkeep } from './upkeep.ts';

export interface FetchLoopDeps {
  store: Store;
  log: Logger;
  concurrency: number;
  pollMs: number;
  slots: Pick<Slots, 'busy' | 'buffered' | 'held'>;
  prefetch: Prefetch;
  nudge: Nudge;
  idleWaits: IdleWait;
  upkeep: Pick<Upkeep, 'hurry' | 'maintainIfStale' | 'idleBeatMs'>;
  /** The worker's instance id now (it changes when the worker registers again). */
  workerId(): string;
  /** The queues to take from, in this round's order (weighted selections shuffle each time). */
  queues(): string[] | '*';
  /** The worker is in state 'running'. */
  running(): boolean;
  paused(): boolean;
  /** Buffers the jobs and starts what fits in free slots. */
  take(jobs: readonly ReservedJob[]): void;
  /** The queueEmpty hook; must not reject. */
  queueEmpty(): Promise<void>;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class FetchLoop {
  private idle = false;
  /** A reserve ran since the last unpark: the store may have parked this worker. */
  private mayBeParked = false;

  constructor(private readonly deps: FetchLoopDeps) {}

  /** Jobs came in (here or with the registration): the worker is busy again. */
  took(jobs: readonly ReservedJob[]): void {
    this.idle = false;
    this.deps.take(jobs);
  }

  /** Room for a job in every slot plus the prefetch buffer. */
  private capacity(): number {
    return this.deps.concurrency + this.deps.prefetch.extra();
  }

  /** Jobs to ask for now: the capacity less what is held, one batch at most. */
  want(): number {
    return Math.min(this.capacity() - this.deps.slots.held, defaults.maxBatch);
  }

  /** The fetch loop, guarded: an unexpected error is logged and the loop goes on after a pause. */
  async run(): Promise<void> {
    while (this.deps.running()) {
      try {
        await this.fetchUntilStopped();
      } catch (error) {
        this.deps.log.error({ err: error }, 'unexpected error in the fetch loop; going on');
        await this.deps.nudge.nap(1_000);
      }
    }
    await this.unpark();
  }

  /** Ends a park, so no job is handed to a worker that pauses or stops; releases what came. */
  private async unpark(): Promise<void> {
    const { store, log } = this.deps;
    if (!this.mayBeParked || !store.unpark) return;
    this.mayBeParked = false;
    try {
      const handed = await store.unpark(this.deps.workerId(), this.deps.queues());
      if (handed.length > 0) await store.release(this.deps.workerId(), handed.map((job) => job.token));
    } catch (error) {
      log.warn({ err: error }, 'could not end the wait for a handed-over job; it goes back when this worker stops or its lease runs out');
    }
  }

  private async fetchUntilStopped(): Promise<void> {
    const { store, slots, nudge, upkeep, concurrency, pollMs } = this.deps;
    let failures = 0;
    let justWoke = false;
    while (this.deps.running()) {
      if (this.deps.paused()) {
        await this.unpark();
        await nudge.nap(pollMs);
        continue;
      }
      const capacity = this.capacity();
      const want = this.want();
      const slotIdle = slots.busy < concurrency && slots.buffered === 0;
      if (want <= 0 || (!slotIdle && want < capacity / 2)) {
        await nudge.nap(pollMs);
        continue;
      }
      let jobs: ReservedJob[];
      try {
        // With nothing buffered, the first free slots' worth of this batch start at once.
        const startNow = slots.buffered === 0 ? concurrency - slots.busy : 0;
        // Parked (a store's hand-off) only while no job runs here: a job that keeps this event
        // loop busy must not hold up one handed to it, which an idle worker would start now.
        const parkIfEmpty = slots.busy === 0 && slots.buffered === 0;
        this.mayBeParked ||= parkIfEmpty;
        jobs = await store.reserve(this.deps.workerId(), this.deps.queues(), want, startNow, parkIfEmpty);
        failures = 0;
      } catch (error) {
        failures++;
        this.deps.log.warn({ err: error }, 'could not take jobs from the store; retrying');
        await nudge.nap(Math.min(100 * 2 ** failures, 5_000));
        continue;
      }
      if (!this.deps.running()) {
        await store.release(this.deps.workerId(), jobs.map((job) => job.token)).catch(() => {});
        break;
      }
      trace(this.deps.log, { reserved: jobs.length, want }, 'reserve');
      if (jobs.length > 0) {
        upkeep.hurry();
        this.took(jobs);
        // A store that answers synchronously (SQLite) would otherwise keep this loop in microtasks
        // for as long as work lasts, and timers (the heartbeat!) and I/O would never run.
        await yieldToEventLoop();
        continue;
      }
      if (slots.held > 0) {
        // Queues are empty but jobs still run: look again when one finishes or work is announced.
        const wait = new AbortController();
        await Promise.race([nudge.nap(pollMs), store.waitForWork(this.deps.workerId(), this.deps.queues(), pollMs, wait.signal)]);
        wait.abort();
        nudge.nudge();
        continue;
      }
      // Woken but nothing to take: a scheduled job may have fallen due. Promote, then look again.
      // Done only after an empty reserve, so an announced job never waits for maintenance.
      if (justWoke) {
        justWoke = false;
        if (await upkeep.maintainIfStale(50)) continue;
      }
      if (!this.idle) {
        this.idle = true;
        await this.deps.queueEmpty();
      }
      const timeoutMs = idleWaitTimeoutMs(pollMs, upkeep.idleBeatMs);
      await this.deps.idleWaits.wait((signal) => store.waitForWork(this.deps.workerId(), this.deps.queues(), timeoutMs, signal));
      justWoke = true;
    }
  }
}
