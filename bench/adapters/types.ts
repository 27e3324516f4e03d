// The one interface every benchmarked system implements, so figures.ts measures them all the
// same way. A system has two halves: the producer side (runs in the bench's main process) and
// the consumer side (runs in a child process, see child.ts), so producer and worker never share
// an event loop. Every run gets a fresh namespace (Redis key prefix or SQLite file) from setup().
// Jobs are no-ops whose only argument is a number (an index, or the enqueue time for latency).

export interface Producer {
  /** One job, awaited: the call an app makes inside a request. */
  enqueueOne(arg: number): Promise<void>;
  /** Many jobs through the system's own bulk API (one batch or pipeline per call). */
  enqueueBulk(args: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerHooks {
  /** Called as a job starts running, with its argument (latency probe). */
  onStart(arg: number): void;
  /** Called once the system reports the job done (its completion event). */
  onDone(): void;
}

export interface Consumer {
  /** Begins taking jobs. Construction (connections) happened before, so this is what gets timed. */
  start(): Promise<void>;
  /**
   * Resolves once the store itself records `n` jobs done. Systems whose completion event fires
   * only after the store write need nothing here; errand emits `completed` before its batched
   * settle, so it waits for the processed counter: done means durable, for every system.
   */
  settled?(n: number): Promise<void>;
  stop(): Promise<void>;
}

export interface Adapter {
  readonly name: string;
  readonly store: 'redis' | 'sqlite';
  /** One line on the configuration, printed in the report. */
  readonly config: string;
  /** Jobs to use at concurrency 1, given the default count: slow peers get fewer (rates stay comparable). */
  jobsAtConcurrency1(jobs: number): number;
  producer(ns: string): Promise<Producer>;
  consumer(ns: string, concurrency: number, hooks: ConsumerHooks): Promise<Consumer>;
  /** Bytes the store uses now (Redis: INFO used_memory; SQLite: file sizes after a checkpoint). */
  storeBytes(ns: string): Promise<number>;
  /** Removes everything the namespace holds. */
  teardown(ns: string): Promise<void>;
}

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const QUEUE = 'bench';
