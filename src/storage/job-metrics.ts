// Per job class metrics (the dashboard's Metrics page): runs, failed attempts, execution time and
// a duration histogram, counted per time slot in the same settle call that applies the outcomes,
// so they cost no extra round trip. Both stores keep the same cells: (grain, slot, class, field)
// → count, where a field is `runs`, `fails`, `us` (total microseconds) or `b<i>` (attempts that
// took at most BUCKET_BOUNDS_MS[i]). Two grains: minutes for the last hour, ten-minute slots for
// the last day. Invariant: every cell only grows within its slot; old slots expire (Redis TTL,
// SQLite prune on the minute), so the metrics take bounded room whatever the traffic.

import type { Outcome } from './types.ts';

/** Upper bounds of the duration histogram's buckets, in ms; the last catches everything. */
export const BUCKET_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, Infinity] as const;

export const GRAINS = {
  /** One slot per minute, kept two hours: the 1 h window. */
  m: { slotMs: 60_000, keepMs: 2 * 3_600_000 },
  /** One slot per ten minutes, kept 25 hours: the 8 h and 24 h windows. */
  t: { slotMs: 600_000, keepMs: 25 * 3_600_000 },
} as const;
export type Grain = keyof typeof GRAINS;

/** The windows the Metrics page offers, in minutes, and the grain each reads. */
export const METRIC_WINDOWS = { 60: 'm', 480: 't', 1_440: 't' } as const satisfies Record<number, Grain>;
export type MetricWindow = keyof typeof METRIC_WINDOWS;

export function slotOf(grain: Grain, epochMs: number): number {
  return Math.floor(epochMs / GRAINS[grain].slotMs);
}

export function bucketOf(ms: number): number {
  let i = 0;
  while (ms > BUCKET_BOUNDS_MS[i]!) i++;
  return i;
}

/** One settle's increments, as `field:class` → count (a class name may hold any character, the field none). */
export function tallyByClass(outcomes: readonly Outcome[]): Map<string, number> {
  const cells = new Map<string, number>();
  const add = (cell: string, n: number) => cells.set(cell, (cells.get(cell) ?? 0) + n);
  for (const outcome of outcomes) {
    if (outcome.jobClass === undefined || outcome.ms === undefined) continue;
    const c = outcome.jobClass;
    add(`runs:${c}`, 1);
    if (outcome.kind !== 'done') add(`fails:${c}`, 1);
    add(`us:${c}`, Math.max(0, Math.round(outcome.ms * 1000)));
    add(`b${bucketOf(outcome.ms)}:${c}`, 1);
  }
  return cells;
}

export interface ClassMetrics {
  readonly jobClass: string;
  readonly runs: number;
  /** Attempts that failed (retried or not). */
  readonly failures: number;
  readonly totalMs: number;
  readonly meanMs: number;
  /** Attempts per bucket of BUCKET_BOUNDS_MS. */
  readonly buckets: readonly number[];
  /** Runs per slot, oldest first (one per `slotMs` of the window). */
  readonly series: readonly number[];
}

export interface JobMetrics {
  readonly windowMinutes: MetricWindow;
  readonly slotMs: number;
  /** Epoch ms where the first slot starts. */
  readonly from: number;
  /** By total execution time, largest first. */
  readonly classes: readonly ClassMetrics[];
}

/** The slots a window reads, oldest first: the current one and those before it. */
export function windowSlots(window: MetricWindow, now: number): { grain: Grain; slots: number[] } {
  const grain = METRIC_WINDOWS[window];
  const count = Math.ceil((window * 60_000) / GRAINS[grain].slotMs);
  const last = slotOf(grain, now);
  return { grain, slots: Array.from({ length: count }, (_, i) => last - count + 1 + i) };
}

/** Folds cells read per slot (`field:class` → count) into per class metrics. */
export function foldMetrics(window: MetricWindow, grain: Grain, slots: readonly number[], cellsPerSlot: readonly Map<string, number>[]): JobMetrics {
  const byClass = new Map<string, { runs: number; fails: number; us: number; buckets: number[]; series: number[] }>();
  cellsPerSlot.forEach((cells, slotIndex) => {
    for (const [cell, count] of cells) {
      const colon = cell.indexOf(':');
      if (colon < 0) continue;
      const field = cell.slice(0, colon);
      const jobClass = cell.slice(colon + 1);
      let m = byClass.get(jobClass);
      if (!m) byClass.set(jobClass, (m = { runs: 0, fails: 0, us: 0, buckets: BUCKET_BOUNDS_MS.map(() => 0), series: slots.map(() => 0) }));
      if (field === 'runs') {
        m.runs += count;
        m.series[slotIndex] = (m.series[slotIndex] ?? 0) + count;
      } else if (field === 'fails') m.fails += count;
      else if (field === 'us') m.us += count;
      else if (/^b\d+$/.test(field)) {
        const bucket = Number(field.slice(1));
        if (bucket < m.buckets.length) m.buckets[bucket] = (m.buckets[bucket] ?? 0) + count;
      }
    }
  });
  const classes = [...byClass].map(([jobClass, m]) => ({
    jobClass, runs: m.runs, failures: m.fails, totalMs: m.us / 1000, meanMs: m.runs > 0 ? m.us / 1000 / m.runs : 0, buckets: m.buckets, series: m.series,
  })).sort((a, b) => b.totalMs - a.totalMs || a.jobClass.localeCompare(b.jobClass));
  return { windowMinutes: window, slotMs: GRAINS[grain].slotMs, from: (slots[0] ?? 0) * GRAINS[grain].slotMs, classes };
}
