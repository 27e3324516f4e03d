// What happens to a job whose attempt threw: the retry policy (attempts, backoff with jitter,
// per-error decisions, UnrecoverableError) and the Resque failure entry a final failure leaves
// in the failed list. Pure functions: the worker turns their answers into store outcomes.

import { defaults } from '../defaults.ts';
import { UnrecoverableError } from '../errors.ts';
import { toMs } from '../job/duration.ts';
import type { RetryOptions } from '../job/types.ts';
import { resqueFailedAt } from '../storage/resque-format.ts';

/** Milliseconds to wait before the next attempt, or null when the job has failed for good. */
export function retryDelay(policy: RetryOptions, attempt: number, error: unknown, random: () => number = Math.random): number | null {
  const attempts = policy.attempts ?? defaults.retry.attempts;
  if (error instanceof UnrecoverableError || attempt >= attempts) return null;
  if (policy.retryOn && !policy.retryOn(error, attempt)) return null;
  const backoff = policy.backoff ?? defaults.retry.backoff;
  const base = policy.delay === undefined ? defaults.retry.delayMs : toMs(policy.delay, 'retry delay');
  let delay = typeof backoff === 'function' ? backoff(attempt, error) : backoff === 'fixed' ? base : base * 2 ** (attempt - 1);
  if (!Number.isFinite(delay) || delay < 0) delay = base;
  const jitter = policy.jitter ?? defaults.retry.jitter;
  delay *= 1 + jitter * (2 * random() - 1);
  return Math.min(Math.max(0, Math.round(delay)), defaults.retry.maxDelayMs);
}

export function errorClassName(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? error.name : error.constructor?.name ?? 'Error';
  return typeof error;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

function backtrace(error: unknown): string[] {
  if (!(error instanceof Error) || !error.stack) return [];
  return error.stack.split('\n').slice(1).map((line) => line.trim()).filter(Boolean);
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
