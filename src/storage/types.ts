// The Store contract. Two interfaces: `Store`, the small batched hot path a worker and a client
// use (every method moves many jobs per round trip), and `AdminStore`, the read/modify side the
// CLI and dashboard use (never on the hot path). Stores move opaque payload strings and failure
// entries; policy (retries, backoff, poison limits, failure formatting) lives above, in worker/.
//
// Invariants every store keeps:
// - A reserved job lives in its worker's in-flight set until settled or released; it is never
//   only in memory. reserve() is an atomic move, never a pop.
// - settle()/release() act only on jobs still in that worker's in-flight set. A worker that was
//   declared dead (its jobs handed back) settles nothing: its late outcomes are dropped, so a
//   zombie cannot double-insert failures or retries. It may have run the job: at-least-once.
// - Liveness is a lease on the store's clock: register() and each heartbeat() set the worker's
//   lease to expire at store-now + its own leaseMs (Redis TIME, SQLite's clock), never from a
//   client's Date.now(). Due times of scheduled jobs are store time too: a client passes its
//   runAt, the store keeps the delay it implies (runAt - client now) from its own now.
// - Every worker process instance has its own id, even when its Resque id (host:pid:queues)
//   repeats: register() returns it (see identity.ts).
// - recover() hands the in-flight jobs of workers whose lease expired back to the head of their
//   queues, counting a death only for the jobs the worker had started (tokens up to its started
//   watermark); a job at `maxDeaths` goes to failed instead. It also promotes due scheduled jobs.
// - reserve() may be sent twice when a connection drops before its reply (client retries): a
//   store must not strand the first batch. Redis makes reserve idempotent per request.
// - Queue order is FIFO; reserve() drains the given queues in strict order.

import type { ScheduleStore } from './schedule-types.ts';

/** A job ready to run: `payload` is the encoded JSON, stored byte for byte. */
export interface QueuedJob {
  readonly queue: string;
  readonly payload: string;
}

/** A job due at `runAt` (epoch ms): delayed enqueues and retries. */
export interface ScheduledJob extends QueuedJob {
  readonly runAt: number;
}

/** A job moved into a worker's in-flight set; `token` identifies it there. */
export interface ReservedJob {
  readonly token: string;
  readonly queue: string;
  readonly payload: string;
}

/** `queue`, when given, counts the attempt in that queue's recent throughput (admin stats). */
export type Outcome =
  | { readonly token: string; readonly kind: 'done'; readonly queue?: string }
  /** Back to the scheduled set with a new payload (next attempt). */
  | { readonly token: string; readonly kind: 'retry'; readonly job: ScheduledJob; readonly queue?: string }
  /** To the failed list; `entry` is a Resque failure JSON. */
  | { readonly token: string; readonly kind: 'failed'; readonly entry: string; readonly queue?: string };


/**
 * Counters, as Resque keeps them: `processed` counts every settled attempt, `failed` every failed
 * attempt, whether it will be retried or not. The failed list holds only final failures.
 */
export interface SettleResult {
  /** Outcomes applied; the rest named jobs no longer in this worker's in-flight set. */
  readonly settled: number;
}

export interface WorkerRegistration {
  /** Resque's worker id, `host:pid:queue1,queue2`: what Resque and resque-web show. */
  readonly id: string;
  readonly queues: readonly string[];
  readonly startedAt: Date;
  /** Jobs it runs at once (shown to operators). */
  readonly concurrency?: number;
  /** Its lease length (its deadAfter; default defaults.deadAfterMs): each renewal extends the lease this far past store-now. */
  readonly leaseMs?: number;
}

/** What a heartbeat reports. */
export interface WorkerStatus {
  /** One job the worker runs now (for Resque's `worker:<id>` key). */
  readonly workingOn: { readonly queue: string; readonly payload: string; readonly runAt: Date } | null;
  /** Its started watermark (see Store.reserve): the highest token it has started. */
  readonly startedUpTo?: number;
}

/** What the store tells a worker at each heartbeat. */
export interface Control {
  /** `pause-all-workers` is set. */
  readonly paused: boolean;
  /** False when the store no longer knows this worker (declared dead); it should re-register. */
  readonly known: boolean;
  /**
   * recover() has work: a worker's lease expired, or a scheduled job is due. Checked in the same
   * call, so a healthy idle worker sends one call per heartbeat, not three. A store may say true
   * when unsure; never false while there is such work.
   */
  readonly maintenanceDue: boolean;
  /** In how many ms (store time) the earliest scheduled job falls due, if any is scheduled. */
  readonly nextDueInMs?: number;
  /** The store's clock at this heartbeat (epoch ms): pass it to recover() as contactAt. */
  readonly storeNow: number;
  /**
   * One of HeartbeatChecks.queues holds a job (false when none were given). An idle worker
   * learns from it of jobs pushed without a wake-up announcement (by Ruby Resque, say), so it
   * needs no poll of its own.
   */
  readonly workWaiting: boolean;
}

/** What a heartbeat checks beside renewing the worker. */
export interface HeartbeatChecks {
  /** Control.workWaiting looks at these queues. */
  readonly queues?: readonly string[] | '*';
}

export interface RecoverOptions {
  readonly maxDeaths: number;
  readonly promoteLimit: number;
  /**
   * Hand back the jobs of workers whose lease expired. A worker that was out of contact with the
   * store passes false until it has been in contact for one full lease again: the others' leases
   * may have run out during the same outage, and they need that long to renew them.
   */
  readonly reapDead: boolean;
  /**
   * Control.storeNow of the heartbeat that vouched for contact: the store reaps nothing when its
   * clock is more than `contactWithinMs` past it (the store froze between that heartbeat and this
   * call, so the others could not renew either).
   */
  readonly contactAt?: number;
  readonly contactWithinMs?: number;
  /**
   * Reap only leases expired for longer than this (store time; default 0): a renewal a little
   * late (a stalled store, a starved thread) does not make a live worker dead.
   */
  readonly expiredForMs?: number;
}

export interface RecoverResult {
  readonly deadWorkers: readonly string[];
  readonly requeued: number;
  /** Jobs moved to failed as poison (in flight in `maxDeaths` worker deaths). */
  readonly poisoned: number;
  readonly promoted: number;
  /** In how many ms (store time) the next scheduled job falls due, if any: when to look again. */
  readonly nextDueInMs: number | undefined;
}

/** How to open another connection to the same store (the worker's lease thread does): openStore(url, this). */
export interface StoreSpec {
  readonly url: string;
  readonly namespace?: string;
  readonly commandTimeoutMs?: number;
}

export interface Store {
  readonly kind: 'redis' | 'sqlite';
  /** A short, secret-free description for logs: `redis://127.0.0.1:6379 (namespace resque)`. */
  readonly description: string;
  /** Holds secrets (the URL may carry a password): never log it. */
  readonly spec?: StoreSpec;
  push(jobs: readonly QueuedJob[]): Promise<void>;
  schedule(jobs: readonly ScheduledJob[]): Promise<void>;
  /**
   * Registers a new worker process instance with a lease of `leaseMs` from store-now, and
   * returns its instance id: the Resque id itself when no registered instance holds it, else
   * the Resque id with a random suffix. Every other method takes the instance id.
   */
  register(worker: WorkerRegistration): Promise<string>;
  /**
   * Moves up to `max` jobs from `queues` ('*' = every queue, alphabetically) into the worker's
   * in-flight set. Tokens grow in reservation order and a worker starts jobs in that order, so
   * one number, its started watermark, says which held jobs it started: `startNow` of these
   * jobs start at once, which moves the watermark to the last of them in the same step.
   */
  reserve(workerId: string, queues: readonly string[] | '*', max: number, startNow?: number): Promise<ReservedJob[]>;
  /** `startedUpTo`: the worker's started watermark now (it only grows). */
  settle(workerId: string, outcomes: readonly Outcome[], startedUpTo?: number): Promise<SettleResult>;
  /** Puts in-flight jobs back at the head of their queues (graceful stop). Returns how many. */
  release(workerId: string, tokens: readonly string[]): Promise<number>;
  heartbeat(workerId: string, status: WorkerStatus, checks?: HeartbeatChecks): Promise<Control>;
  recover(options: RecoverOptions): Promise<RecoverResult>;
  /** Releases whatever the worker still holds and removes its registration. */
  unregister(workerId: string): Promise<void>;
  /**
   * Resolves when work may be available in `queues` or at `timeoutMs`, whichever is first,
   * without polling the store in between where the store can announce new work. Work announced
   * after this worker's last reserve() began makes it return at once (no lost wake-up).
   */
  waitForWork(workerId: string, queues: readonly string[] | '*', timeoutMs: number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
  admin(): AdminStore;
  /** Recurring schedules' records and tick claims (see schedule-types.ts). */
  schedules(): ScheduleStore;
}

export interface QueueStats {
  readonly name: string;
  readonly size: number;
  /** Epoch ms when the oldest waiting job was enqueued, when the store can tell. */
  readonly oldestEnqueuedAt: number | undefined;
  /** Attempts finished (done, retried or failed) in the last few minutes (see throughput.ts). */
  readonly recentlyDone: number;
}

export interface WorkerView {
  readonly id: string;
  readonly queues: readonly string[];
  readonly startedAt: string | undefined;
  readonly heartbeatAt: string | undefined;
  /** errand workers: the process instances showing this Resque id (usually one, the id itself). */
  readonly instances?: readonly string[];
  /** Resque's `worker:<id>` JSON, parsed: `{queue, run_at, payload}`. */
  readonly workingOn: unknown;
  readonly inFlight: number;
}

export interface FailedEntry {
  /** Position in the failed list (0 = oldest). */
  readonly index: number;
  /** The raw entry as stored (Resque failure JSON). */
  readonly raw: string;
  readonly entry: Record<string, unknown> | undefined;
}

/** A delayed job or pending retry, as the admin side lists them (by due time). */
export interface ScheduledEntry {
  /** Position by due time (0 = due first); only a hint, the set moves. */
  readonly index: number;
  /** The store's handle for this entry (Redis: its set member; SQLite: its row id): act on it with this. */
  readonly key: string;
  readonly queue: string;
  readonly payload: string;
  /** Due time, epoch ms on the store's clock. */
  readonly runAt: number;
}

/**
 * Which failed entries a bulk action takes. Absent or empty fields match anything; an empty
 * filter matches every entry (also those that are not JSON). `class` and `queue` match exactly
 * (the payload's class, the entry's queue); `error` is a case-sensitive substring of the
 * entry's exception class or its message.
 */
export interface FailedFilter {
  readonly class?: string;
  readonly queue?: string;
  readonly error?: string;
}

/**
 * Which scheduled entries a bulk action takes: absent or empty fields match anything (an empty
 * filter matches every entry). `class` matches the payload's class exactly, `queue` the entry's.
 */
export interface ScheduledFilter {
  readonly class?: string;
  readonly queue?: string;
}

export interface Stats {
  readonly processed: number;
  readonly failed: number;
  readonly queues: readonly QueueStats[];
  readonly scheduled: number;
  readonly failedCount: number;
  readonly workers: readonly WorkerView[];
  readonly paused: boolean;
}

/**
 * Where one job is now, found by its payload's `id` (AdminStore.job). A job is in one place at a
 * time; a finished job is not kept anywhere, so it is 'unknown' like an id never enqueued.
 * `payload` is the stored JSON, byte for byte (a failed job's is inside `failure`; a Ruby
 * worker's job is re-encoded from its `worker:<id>`). `runAt` is
 * epoch ms on the store's clock; `since` is Resque's `run_at` text.
 */
export type JobState =
  /** In `queue`; `position` 0 is the next to be reserved. */
  | { readonly state: 'waiting'; readonly id: string; readonly queue: string; readonly position: number; readonly payload: string }
  /** Delayed or waiting for a retry; `key` is its ScheduledEntry key (runScheduled, removeScheduled). */
  | { readonly state: 'scheduled'; readonly id: string; readonly queue: string; readonly runAt: number; readonly key: string; readonly payload: string }
  /**
   * Reserved by a worker: `instance` is the errand instance holding it (undefined for a Ruby
   * worker, known only by Resque's `worker:<id>`), `worker` its Resque id. `since` is when the
   * worker reported starting it, known only for the one job its `worker:<id>` shows.
   */
  | { readonly state: 'in-flight'; readonly id: string; readonly queue: string; readonly instance: string | undefined; readonly worker: string; readonly since: string | undefined; readonly payload: string }
  /** In the failed list; `failure.raw` is what retryFailed / removeFailed take. */
  | { readonly state: 'failed'; readonly id: string; readonly queue: string | undefined; readonly exception: string | undefined; readonly error: string | undefined; readonly failure: FailedEntry }
  | { readonly state: 'unknown'; readonly id: string };

export interface AdminStore {
  stats(): Promise<Stats>;
  queues(): Promise<string[]>;
  peek(queue: string, start: number, count: number): Promise<string[]>;
  failed(start: number, count: number): Promise<FailedEntry[]>;
  failedCount(): Promise<number>;
  /**
   * Removes the failed entry stored exactly as `raw` and pushes `job` (prepared by the caller),
   * in one atomic step. False when no such entry exists (already retried or removed).
   */
  retryFailed(raw: string, job: QueuedJob): Promise<boolean>;
  /** Removes the failed entry stored exactly as `raw`; matching by value, not index, is safe while the list moves. */
  removeFailed(raw: string): Promise<boolean>;
  clearFailed(): Promise<number>;
  setPaused(paused: boolean): Promise<void>;
  workers(): Promise<WorkerView[]>;
  scheduledCount(): Promise<number>;
  /** Removes the first waiting job of `queue` stored exactly as `payload`; false when none is. */
  removeQueued(queue: string, payload: string): Promise<boolean>;
  /** Removes every waiting job of `queue` (jobs in flight stay where they are); returns how many. */
  clearQueue(queue: string): Promise<number>;
  /** Scheduled jobs by due time, `count` from position `start` (0 = due first). */
  scheduled(start: number, count: number): Promise<ScheduledEntry[]>;
  /** Moves the scheduled entry `key` to the tail of its queue now, in one atomic step; false when it is gone. */
  runScheduled(key: string): Promise<boolean>;
  removeScheduled(key: string): Promise<boolean>;
  /** Moves every scheduled entry matching `filter` to its queue's tail now (in due order), in one atomic pass (O(n)); returns how many. */
  runScheduledMatching(filter: ScheduledFilter): Promise<number>;
  /** Removes every scheduled entry matching `filter`, in one atomic pass (O(n)); returns how many. */
  removeScheduledMatching(filter: ScheduledFilter): Promise<number>;
  /** Removes every failed entry matching `filter`, in one pass over the list (O(n)); returns how many. */
  removeFailedMatching(filter: FailedFilter): Promise<number>;
  /**
   * Takes every failed entry matching `filter` off the list in one pass and pushes the job
   * `prepare` makes of it (`entry.index` is -1: it has left the list). An entry `prepare` returns
   * undefined for (no job to retry) goes back to the failed list's tail and counts as skipped.
   */
  retryFailedMatching(filter: FailedFilter, prepare: (entry: FailedEntry) => QueuedJob | undefined): Promise<{ retried: number; skipped: number }>;
  /**
   * Where the job with this id is: waiting, scheduled, in flight, failed, or unknown (finished
   * jobs are not kept). An O(n) scan of every queue, the scheduled set, the in-flight sets and
   * the failed list: an operator's call (dashboard, CLI), never the hot path.
   */
  job(id: string): Promise<JobState>;
}
