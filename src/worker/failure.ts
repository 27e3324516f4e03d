// What happens to a job whose attempt threw: the retry policy (attempts, backoff with jitter,
// per-error decisions, UnrecoverableError) and the Resque failure entry a final failure leaves
// in the failed list. Pure functions: the worker turns their answers into store outcomes.

import { defaults } from '../defaults.ts';
import { RetryPolicyError, UnrecoverableError } from '../errors.ts';
import { toMs } from '../job/duration.ts';
import type { RetryOptions } from '../job/types.ts';
import { resqueFailedAt } from '../storage/resque-format.ts';

/**
 * Milliseconds to wait before the next attempt, or null when the job has failed for good. Throws
 * only what the job's own retryOn or backoff function throws (options were checked at definition).
 */
export function retryDelay(policy: RetryOptions, attempt: number, error: unknown, random: () => number = Math.random, jobName = 'this job'): number | null {
  const attempts = policy.attempts ?? defaults.retry.attempts;
  if (error instanceof UnrecoverableError || attempt >= attempts) return null;
  // The user's functions are wrapped so the failed list says which one threw, and for what.
  const guarded = <T>(option: 'retryOn' | 'backoff', call: () => T): T => {
    try {
      return call();
    } catch (thrown) {
      throw new RetryPolicyError(jobName, option, thrown, `${errorClassName(error)}: ${errorMessage(error)}`);
    }
  };
  const retryOn = policy.retryOn;
  if (retryOn && !guarded('retryOn', () => retryOn(error, attempt))) return null;
  const backoff = policy.backoff ?? defaults.retry.backoff;
  const base = policy.delay === undefined ? defaults.retry.delayMs : toMs(policy.delay, 'retry delay');
  let delay = typeof backoff === 'function' ? guarded('backoff', () => backoff(attempt, error)) : backoff === 'fixed' ? base : base * 2 ** (attempt - 1);
  if (!Number.isFinite(delay) || delay < 0) delay = base;
  const jitter = policy.jitter ?? defaults.retry.jitter;
  delay *= 1 + jitter * (2 * random() - 1);
  const maxDelay = policy.maxDelay === undefined ? defaults.retry.maxDelayMs : toMs(policy.maxDelay, 'retry maxDelay');
  return Math.min(Math.max(0, Math.round(delay)), maxDelay);
}

// The three below never throw, whatever a job threw (a getter that throws, an object without a
// prototype): they build the failure entry, the last thing that must not fail.
export function errorClassName(error: unknown): string {
  try {
    if (error instanceof Error) return error.name && error.name !== 'Error' ? String(error.name) : error.constructor?.name ?? 'Error';
  } catch {
    return 'Error';
  }
  return typeof error;
}

export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
    return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  } catch {
    try {
      return String(error);
    } catch {
      return `(a thrown ${typeof error} that cannot be printed)`;
    }
  }
}

function backtrace(error: unknown): string[] {
  try {
    if (!(error instanceof Error) || typeof error.stack !== 'string') return [];
    return error.stack.split('\n').slice(1).map((line) => line.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

export interface FailureContext {
  /** The decoded payload object, or the raw text when the payload was not JSON. */
  payload: unknown;
  error: unknown;
  workerId: string;
  queue: string;
  at?: Date;
}

/** A failure entry exactly as Ruby Resque 3 writes one (key order matters for LREM matching). */
export function failureEntry({ payload, error, workerId, queue, at }: FailureContext): string {
  return JSON.stringify({
    failed_at: resqueFailedAt(at),
    payload,
    exception: errorClassName(error),
    error: errorMessage(error),
    backtrace: backtrace(error),
    worker: workerId,
    queue,
  });
}
