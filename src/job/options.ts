// Checks a job's retry options, timeout, plugins and args schema when the job is defined (defineJob or a Resque-style
// class), so a mistake such as `retry: { delay: '5 minutes' }` in a plain JavaScript job file
// fails at load with a ConfigError naming the job and the option, instead of throwing inside a
// worker the first time the job fails. Invariant: what this returns needs no further checking
// (durations are milliseconds, numbers are finite and in range), so the retry policy cannot throw
// on it; only the user's own functions (backoff, retryOn) still can, and the executor guards those.

import { ConfigError } from '../errors.ts';
import { toMs, type Duration } from './duration.ts';
import type { Plugin, RetryOptions } from './types.ts';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.ts';

const RETRY_KEYS = ['attempts', 'backoff', 'delay', 'jitter', 'maxDelay', 'retryOn'] as const;

/** The retry options with `delay` and `maxDelay` in milliseconds, frozen. */
export function checkRetry(job: string, retry: unknown): Readonly<RetryOptions> {
  if (retry === undefined || retry === null) return Object.freeze({});
  const where = (option: string) => `job ${job}: retry.${option}`;
  if (typeof retry !== 'object' || Array.isArray(retry)) {
    throw new ConfigError(`job ${job}: retry must be an object such as { attempts: 3, backoff: 'exponential', delay: '5s' }, got ${describe(retry)}`);
  }
  const given = retry as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(RETRY_KEYS as readonly string[]).includes(key)) throw new ConfigError(`${where(key)} is not a retry option (known: ${RETRY_KEYS.join(', ')})`);
  }
  const out: RetryOptions = {};
  const { attempts, backoff, delay, jitter, maxDelay, retryOn } = given;
  if (attempts !== undefined) {
    if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1) {
      throw new ConfigError(`${where('attempts')} must be a whole number >= 1 (total runs, the first included), got ${describe(attempts)}`);
    }
    out.attempts = attempts;
  }
  if (backoff !== undefined) {
    if (backoff !== 'fixed' && backoff !== 'exponential' && typeof backoff !== 'function') {
      throw new ConfigError(`${where('backoff')} must be 'fixed', 'exponential' or a function (attempt, error) => ms, got ${describe(backoff)}`);
    }
    out.backoff = backoff as RetryOptions['backoff'];
  }
  if (delay !== undefined) out.delay = duration(where('delay'), delay);
  if (maxDelay !== undefined) out.maxDelay = duration(where('maxDelay'), maxDelay);
  if (jitter !== undefined) {
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
      throw new ConfigError(`${where('jitter')} must be a fraction from 0 to 1 (0.2 = ±20 %), got ${describe(jitter)}`);
    }
    out.jitter = jitter;
  }
  if (retryOn !== undefined) {
    if (typeof retryOn !== 'function') throw new ConfigError(`${where('retryOn')} must be a function (error, attempt) => boolean, got ${describe(retryOn)}`);
    out.retryOn = retryOn as RetryOptions['retryOn'];
  }
  return Object.freeze(out);
}

/** The job's timeout in milliseconds (undefined: none). Zero is refused: every attempt would fail. */
export function checkTimeout(job: string, timeout: unknown): number | undefined {
  if (timeout === undefined) return undefined;
  const ms = duration(`job ${job}: timeout`, timeout);
  if (ms <= 0) throw new ConfigError(`job ${job}: timeout must be longer than 0 ms (leave it out for no timeout), got ${describe(timeout)}`);
  return ms;
}

/** The job's `args` schema (undefined: none). Anything but a Standard Schema v1 is refused here, not at the first enqueue. */
export function checkArgsSchema(job: string, args: unknown): StandardSchemaV1 | undefined {
  if (args === undefined) return undefined;
  if (!isStandardSchema(args)) {
    throw new ConfigError(`job ${job}: args must be a Standard Schema v1 (a Zod, Valibot or ArkType schema of the argument list, e.g. z.tuple([z.number()])), got ${describe(args)}`);
  }
  return args;
}

const HOOKS = ['beforeEnqueue', 'afterEnqueue', 'beforePerform', 'aroundPerform', 'afterPerform', 'onFailure', 'workerStart', 'beforeJob', 'queueEmpty', 'workerStop'] as const;

/** Plugins, each an object whose hooks (when given) are functions. `owner`: "job X", "createErrand()". */
export function checkPlugins(owner: string, plugins: unknown): readonly Plugin[] {
  if (plugins === undefined) return Object.freeze([]);
  if (!Array.isArray(plugins)) throw new ConfigError(`${owner}: plugins must be an array of plugin objects, got ${describe(plugins)}`);
  plugins.forEach((plugin: unknown, i) => {
    if (plugin === null || typeof plugin !== 'object') throw new ConfigError(`${owner}: plugins[${i}] must be an object of hooks, got ${describe(plugin)}`);
    for (const hook of HOOKS) {
      const fn = (plugin as Record<string, unknown>)[hook];
      if (fn !== undefined && typeof fn !== 'function') throw new ConfigError(`${owner}: plugins[${i}].${hook} must be a function, got ${describe(fn)}`);
    }
  });
  return Object.freeze([...(plugins as Plugin[])]);
}

function duration(what: string, value: unknown): number {
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new ConfigError(`${what} must be a duration (milliseconds or a string like '30s', '5m'), got ${describe(value)}`);
  }
  return toMs(value as Duration, what);
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}
