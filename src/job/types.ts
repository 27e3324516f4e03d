// The types a job author meets: what perform receives, retry options, and plugins (objects of
// Resque-named hooks). Runtime code lives next door; this file has no behaviour.

import type { Duration } from './duration.ts';
import type { Logger } from '../log.ts';

/** The last argument of every perform call. */
export interface JobContext {
  /** Stable across retries; absent in jobs Ruby Resque enqueued, so errand makes one up. */
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  /** 1 on the first run, 2 on the first retry, ... */
  readonly attempt: number;
  /** Aborts at the job's timeout or when the worker must stop; pass it to fetch() and friends. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly enqueuedAt: Date | undefined;
  readonly workerId: string;
  /** Set when a schedule enqueued this run: its name, the tick it is for, and whether it ran late (caught up). */
  readonly schedule?: ScheduleContext;
}

export interface ScheduleContext {
  readonly name: string;
  readonly tick: Date;
  /** The tick was claimed after its on-time window and run because the schedule catches up. */
  readonly caughtUp: boolean;
}

export type BackoffFn = (attempt: number, error: unknown) => number;

export interface RetryOptions {
  /** Total attempts including the first (1 = no retry, Resque's default). */
  attempts?: number;
  backoff?: 'fixed' | 'exponential' | BackoffFn;
  /** Base delay for 'fixed' and 'exponential'. */
  delay?: Duration;
  /** Fraction of the delay randomised either way (0.2 = ±20 %), so retries do not stampede. */
  jitter?: number;
  /** Upper bound of any one delay (default 1 h). */
  maxDelay?: Duration;
  /** Per-error decision; return false to fail at once. UnrecoverableError never retries. */
  retryOn?: (error: unknown, attempt: number) => boolean;
}

/** What hooks see of a job. `args` are the decoded JSON args. */
export interface JobInfo {
  readonly name: string;
  readonly queue: string;
  readonly args: readonly unknown[];
  readonly id: string;
  readonly attempt: number;
}

export interface WorkerInfoForHooks {
  readonly id: string;
  readonly queues: readonly string[];
}

/**
 * A plugin is an object of hooks named as in Resque. Every hook may be async. A plugin can be
 * given per job (`defineJob({ plugins })`) or to every job (`createErrand({ plugins })`).
 */
export interface Plugin {
  readonly name?: string;
  /** Return false to veto: the job is not stored and enqueue resolves to null. */
  beforeEnqueue?(job: JobInfo): unknown;
  afterEnqueue?(job: JobInfo): unknown;
  /** Return false to skip perform; the job counts as done. */
  beforePerform?(job: JobInfo, ctx: JobContext): unknown;
  /** Wraps perform (and the inner plugins' aroundPerform); must call and return next(). */
  aroundPerform?(job: JobInfo, next: () => Promise<unknown>, ctx: JobContext): Promise<unknown>;
  afterPerform?(job: JobInfo, result: unknown, ctx: JobContext): unknown;
  onFailure?(job: JobInfo, error: unknown, ctx: JobContext): unknown;
  workerStart?(worker: WorkerInfoForHooks): unknown;
  /** Before a job is taken in hand by the worker, outside the job's own hooks. */
  beforeJob?(job: JobInfo, worker: WorkerInfoForHooks): unknown;
  /** The worker found every one of its queues empty and goes idle. */
  queueEmpty?(worker: WorkerInfoForHooks): unknown;
  workerStop?(worker: WorkerInfoForHooks): unknown;
}
