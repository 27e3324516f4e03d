// A worker's options, checked and resolved against the defaults once, at construction: what the
// user may pass (WorkerOptions) and the numbers the worker runs on (WorkerSettings).

import { defaults } from '../defaults.ts';
import { ConfigError } from '../errors.ts';
import { toMs, type Duration } from '../job/duration.ts';
import { parseQueues, type QueueSelection } from './queues.ts';
import type { UpkeepOptions } from './upkeep.ts';

export interface WorkerOptions {
  /** 'a,b' strict order, '*' every queue, 'a:3,b:1' weighted; or an array of the same. */
  queues: string | readonly string[];
  concurrency?: number;
  /**
   * Look for work nobody announced (jobs Ruby Resque pushed) at least this often. An idle
   * worker's heartbeat looks anyway (every 2 s by default), so only a shorter interval adds a
   * poll. Also how often a paused worker checks whether it may go on. Resque's INTERVAL.
   */
  pollInterval?: Duration;
  shutdownTimeout?: Duration;
  heartbeatInterval?: Duration;
  /**
   * Its lease: a worker whose lease was not renewed for this long is dead, and its jobs go back
   * to their queues. Recorded with the worker, so each worker is judged by its own.
   */
  deadAfter?: Duration;
  /**
   * Once this worker's event loop has not answered for this long (a job stuck in a synchronous
   * loop), its lease thread stops renewing the lease, so its jobs come back. Default 30 s.
   */
  stuckTimeout?: Duration;
  maxDeaths?: number;
  /** Upper bound of jobs held beyond the running ones; the worker adapts below it. */
  maxPrefetch?: number;
}

export interface WorkerSettings {
  selection: QueueSelection;
  concurrency: number;
  pollMs: number;
  shutdownMs: number;
  maxPrefetch: number;
  upkeep: UpkeepOptions;
}

export function resolveSettings(options: WorkerOptions): WorkerSettings {
  const heartbeatMs = toMs(options.heartbeatInterval ?? defaults.heartbeatMs, 'heartbeatInterval');
  const deadAfterMs = toMs(options.deadAfter ?? defaults.deadAfterMs, 'deadAfter');
  // Two missed heartbeats at least, or a busy but healthy worker would be declared dead.
  if (deadAfterMs < 2 * heartbeatMs) throw new ConfigError(`deadAfter (${deadAfterMs} ms) must be at least twice the heartbeat interval (${heartbeatMs} ms)`);
  const stuckTimeoutMs = toMs(options.stuckTimeout ?? defaults.stuckTimeoutMs, 'stuckTimeout');
  if (stuckTimeoutMs < heartbeatMs) throw new ConfigError(`stuckTimeout (${stuckTimeoutMs} ms) must be at least the heartbeat interval (${heartbeatMs} ms)`);
  return {
    selection: parseQueues(options.queues),
    concurrency: Math.max(1, Math.floor(options.concurrency ?? defaults.concurrency)),
    pollMs: toMs(options.pollInterval ?? defaults.pollIntervalMs, 'pollInterval'),
    shutdownMs: toMs(options.shutdownTimeout ?? defaults.shutdownTimeoutMs, 'shutdownTimeout'),
    maxPrefetch: options.maxPrefetch ?? defaults.maxPrefetch,
    upkeep: {
      heartbeatMs, leaseMs: deadAfterMs, stuckTimeoutMs, maintenanceMs: defaults.maintenanceMs,
      maxDeaths: options.maxDeaths ?? defaults.maxDeaths, promoteLimit: defaults.promoteBatch,
    },
  };
}

/** How long stop() lets running jobs finish: `timeout` (a duration, Infinity = wait) or a `deadline` Date. */
export interface StopOptions {
  timeout?: Duration;
  deadline?: Date;
}

export function stopTimeoutMs(options: StopOptions, fallbackMs: number): number {
  if (options.deadline) return Math.max(0, options.deadline.getTime() - Date.now());
  if (options.timeout === undefined) return fallbackMs;
  return options.timeout === Infinity ? Infinity : toMs(options.timeout, 'timeout');
}
