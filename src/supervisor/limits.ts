// The supervisor's options and the limits that make it replace a worker process: memory (RSS the
// child reports in its heartbeat), silence (no heartbeat for --stuck-timeout: the event loop is
// blocked), and the crash-loop backoff. Pure functions and small state, so they are testable and
// the pool only acts on their verdicts.

import { ConfigError } from '../errors.ts';

export interface PoolOptions {
  /** Worker processes to keep running. */
  processes: number;
  /** argv after `bin/errand.js` for each child, e.g. ['work', '--require', './jobs.ts', …]. */
  childArgs: string[];
  /** Replace a child (gracefully) whose RSS goes above this many bytes. */
  maxMemoryBytes?: number;
  /** SIGKILL and replace a child whose heartbeat is older than this. */
  stuckTimeoutMs: number;
  /** The children's --shutdown-timeout; a child told to stop gets this plus a margin before SIGKILL. */
  shutdownTimeoutMs: number;
  /** The supervisor serves /metrics: children record metrics and send them in their heartbeats. */
  metrics?: boolean;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** '512MB', '1.5GB', '800M', '1048576' → bytes. Binary units, as `ps` and /proc report memory. */
export function parseBytes(text: string, what = '--max-memory'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[match?.[2]?.toLowerCase() ?? 'x'];
  if (!match || unit === undefined || !(Number(match[1]) > 0)) {
    throw new ConfigError(`${what} "${text}" is not a size: use forms like 512MB, 1GB, 800M`);
  }
  return Math.round(Number(match[1]) * unit);
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)}GB` : `${Math.round(bytes / 1024 ** 2)}MB`;
}

/** Before its first heartbeat a child is loading code (tsx, job files): give it longer. */
export const STARTUP_GRACE_MS = 30_000;

/** A child told to stop gets its shutdown timeout plus this before SIGKILL (settling, unregistering). */
export const STOP_MARGIN_MS = 10_000;

/**
 * Crash-loop backoff: the first unexpected exit is replaced at once; each further one within
 * `window` of the previous doubles the wait, up to `maxMs`. A quiet window resets it, so a pool
 * that crashed once a day never waits.
 */
export class CrashBackoff {
  private streak = 0;
  private lastCrashAt = 0;

  constructor(private readonly baseMs = 500, private readonly maxMs = 30_000, private readonly windowMs = 60_000) {}

  /** Records a crash; returns how long to wait before starting the replacement. */
  crashed(now = Date.now()): number {
    this.streak = now - this.lastCrashAt > this.windowMs ? 1 : this.streak + 1;
    this.lastCrashAt = now;
    return this.streak <= 1 ? 0 : Math.min(this.baseMs * 2 ** (this.streak - 2), this.maxMs);
  }

  get crashes(): number {
    return this.streak;
  }
}
