// The Store contract. Two interfaces: `Store`, the small batched hot path a worker and a client
// use (every method moves many jobs per round trip), and `AdminStore` (admin-types.ts, re-exported
// here), the read/modify side the CLI and dashboard use (never on the hot path). Stores move opaque payload strings and failure
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

import type { AdminStore } from './admin-types.ts';

/** A job ready to run: `payload` is the encoded JSON, stored byte for byte. */
export interface QueuedJob {
  readonly queue: string;
  readonly payload: string;
  /**
   * The job's `enqueued` event message for its queue's channel, for a store that publishes it
   * with the push (`announcesWithPush`): then no worker's event about the job can come first.
   */
  readonly announce?: string;
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

/**
 * What every outcome may say besides its kind. `queue` counts the attempt in that queue's recent
 * throughput (admin stats); `jobClass` and `ms` (how long the attempt ran) count it in the per
 * class metrics (see job-metrics.ts): absent for an attempt that never ran (an unknown job, a
 * payload that is not a job).
 */
interface OutcomeFacts {
  readonly token: string;
  readonly queue?: string;
  readonly jobClass?: string;
  readonly ms?: number;
}

export type Outcome =
  | (OutcomeFacts & { readonly kind: 'done' })
  /**
   * Back to the scheduled set with a new payload (next attempt). `deferred`: an unknown job put
   * back to wait for a worker that knows it, no attempt spent, so not counted in Stats.retrying.
   */
  | (OutcomeFacts & { readonly kind: 'retry'; readonly job: ScheduledJob; readonly deferred?: boolean })
  /** To the failed list; `entry` is a Resque failure JSON. */
  | (OutcomeFacts & { readonly kind: 'failed'; readonly entry: string });


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
  /** Publishes a pushed job's `announce` (QueuedJob) itself, in the same step as the push. */
  readonly announcesWithPush?: boolean;
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
   * Optional: register() and a first reserve() (as reserve's arguments) in one round trip, for a
   * fresh worker's first jobs. Jobs come back only when they are the new instance's; otherwise
   * (or when the reserve part failed) `jobs` is empty and the worker reserves as usual.
   */
  registerAndReserve?(worker: WorkerRegistration, queues: readonly string[] | '*', max: number, startNow: number): Promise<{ instance: string; jobs: ReservedJob[] }>;
  /**
   * Moves up to `max` jobs from `queues` ('*' = every queue, alphabetically) into the worker's
   * in-flight set. Tokens grow in reservation order and a worker starts jobs in that order, so
   * one number, its started watermark, says which held jobs it started: `startNow` of these
   * jobs start at once, which moves the watermark to the last of them in the same step.
   * `parkIfEmpty`: the caller waits for work (waitForWork) if this takes nothing. A store that
   * hands pushed jobs straight to idle workers (Redis) then parks the worker: a job pushed next
   * to one of its queues may move into its in-flight set at once, make its wait return, and
   * come back from its next reserve() without a round trip.
   */
  reserve(workerId: string, queues: readonly string[] | '*', max: number, startNow?: number, parkIfEmpty?: boolean): Promise<ReservedJob[]>;
  /**
   * Optional, for a store that parks workers: ends a park before the worker pauses or stops,
   * and returns what was handed to it meanwhile (the caller releases it).
   */
  unpark?(workerId: string, queues: readonly string[] | '*'): Promise<ReservedJob[]>;
  /**
   * Moves committed writes from a write-ahead log into the store's file without blocking anyone
   * (SQLite's PASSIVE checkpoint), so that cost leaves the commits of enqueues and reserves. A
   * worker's lease thread calls it every defaults.sqliteCheckpointMs; failures are ignored (the
   * next call, or a connection's own automatic checkpoint, does it).
   */
  checkpoint?(): void;
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

export * from './admin-types.ts';
