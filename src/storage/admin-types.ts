// The operator side of the Store contract: what the CLI and the dashboard read and change through
// `Store.admin()`, never on the hot path. Lists are paginated in the store; entries are addressed
// by their stored value (or a digest of it), never by position alone, since the lists move.

import type { QueuedJob } from './types.ts';
import type { JobMetrics, MetricWindow } from './job-metrics.ts';

export interface QueueStats {
  readonly name: string;
  readonly size: number;
  /** Epoch ms when the oldest waiting job was enqueued, when the store can tell. */
  readonly oldestEnqueuedAt: number | undefined;
  /** Attempts finished (done, retried or failed) in the last few minutes (see throughput.ts). */
  readonly recentlyDone: number;
  /** Workers skip it (setQueuePaused); Ruby Resque workers do not know this pause. */
  readonly paused: boolean;
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
  /**
   * Of `scheduled`, the jobs waiting for another attempt after a failed one: not delayed
   * enqueues, not unknown jobs put back to wait. Counted from what this errand version stored
   * (a retry scheduled by an older one is in `scheduled` only).
   */
  readonly retrying: number;
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

/**
 * One bounded step of a look-up by id (AdminStore.findJobStep): the answer, or the opaque point
 * the next step goes on from and how many entries this step read.
 */
export type JobSearch =
  | { readonly done: true; readonly job: JobState }
  | { readonly done: false; readonly resume: string; readonly scanned: number };

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
  /**
   * Pauses or resumes one queue: errand workers skip a paused queue (its jobs stay where they
   * are, in order; jobs already reserved run on). Resuming wakes idle workers. Ruby Resque
   * workers do not know this pause and keep taking its jobs.
   */
  setQueuePaused(queue: string, paused: boolean): Promise<void>;
  /** The paused queues' names, sorted. */
  pausedQueues(): Promise<string[]>;
  /**
   * Per job class over the last `window` minutes (60, 480 or 1440): runs, failed attempts,
   * execution time, a duration histogram and runs per slot. Counted by errand's workers as they
   * settle (Ruby Resque workers count nothing here); read from at most 144 slots.
   */
  jobMetrics(window: MetricWindow): Promise<JobMetrics>;
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
   * the failed list: an operator's call (dashboard, CLI), never the hot path. Redis reads it in
   * short slices (see find-job.lua), so a job moving backwards meanwhile may show as unknown.
   */
  job(id: string): Promise<JobState>;
  /**
   * job(id) a bounded step at a time, for a caller that must answer quickly (the dashboard):
   * reads about `budget` entries from `resume` (undefined: the start; a token it does not know
   * starts over) and says where it found the job or where to go on.
   */
  findJobStep(id: string, resume: string | undefined, budget: number): Promise<JobSearch>;
}
export type { ClassMetrics, JobMetrics, MetricWindow } from './job-metrics.ts';
