// The metrics a process records, as plain JSON: what a worker process sends its supervisor in
// each heartbeat, what the supervisor sums over its children, and what the Prometheus registry
// (registry.ts) turns into samples at scrape time. No prom-client here: recording and shipping
// cost no import. Labels are only queue, job class, outcome, schedule name and store kind, all
// from code or the store's queue list, never ids or args. Counters only grow; `slots` is a gauge.

/** Histogram bounds in seconds, 5 ms to 6 h (the buckets yabeda-sidekiq uses). */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 1800, 3600, 21600] as const;

/** Label value for a job class this process cannot name safely (a payload no loaded job matches). */
export const UNKNOWN_CLASS = '(unknown)';

export interface HistogramData {
  /** Observations per bucket, not cumulative: counts[i] ≤ BUCKETS[i]; the last one is +Inf. */
  counts: number[];
  sum: number;
}

/** One (queue, class) pair's job counters. */
export interface JobSeries {
  queue: string;
  class: string;
  enqueued: number;
  success: number;
  failure: number;
  retried: number;
  dead: number;
  durationSuccess: HistogramData;
  durationFailure: HistogramData;
  latency: HistogramData;
}

export interface ScheduleSeries {
  schedule: string;
  /** Claims the store answered, by outcome (enqueued, caught-up, missed, overlap, paused). */
  outcomes: Record<string, number>;
}

export interface MetricsSnapshot {
  jobs: JobSeries[];
  /** Jobs taken that no loaded job matches (each put-back, and the final failure), by queue. */
  unknown: Record<string, number>;
  recovery: { deadWorkers: number; requeued: number; poisoned: number };
  schedules: ScheduleSeries[];
  store: { errors: Record<string, number>; reconnects: Record<string, number> };
  /** Gauges: this process's running workers, their slots, and the slots busy now. */
  slots: { workers: number; total: number; busy: number };
}

export function emptyHistogram(): HistogramData {
  return { counts: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0 };
}

export function emptySnapshot(): MetricsSnapshot {
  return { jobs: [], unknown: {}, recovery: { deadWorkers: 0, requeued: 0, poisoned: 0 }, schedules: [], store: { errors: {}, reconnects: {} }, slots: { workers: 0, total: 0, busy: 0 } };
}

const addInto = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
};

const addHistogram = (into: HistogramData, from: HistogramData) => {
  for (let i = 0; i < into.counts.length; i++) into.counts[i]! += from.counts[i] ?? 0;
  into.sum += from.sum;
};

/** The sum of several processes' snapshots (a supervised pool's one coherent set). */
export function mergeSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const total = emptySnapshot();
  const jobs = new Map<string, JobSeries>();
  const schedules = new Map<string, ScheduleSeries>();
  for (const s of snapshots) {
    for (const series of s.jobs) {
      const key = JSON.stringify([series.queue, series.class]);
      let into = jobs.get(key);
      if (!into) jobs.set(key, (into = { ...series, durationSuccess: emptyHistogram(), durationFailure: emptyHistogram(), latency: emptyHistogram(), enqueued: 0, success: 0, failure: 0, retried: 0, dead: 0 }));
      into.enqueued += series.enqueued;
      into.success += series.success;
      into.failure += series.failure;
      into.retried += series.retried;
      into.dead += series.dead;
      addHistogram(into.durationSuccess, series.durationSuccess);
      addHistogram(into.durationFailure, series.durationFailure);
      addHistogram(into.latency, series.latency);
    }
    for (const series of s.schedules) {
      let into = schedules.get(series.schedule);
      if (!into) schedules.set(series.schedule, (into = { schedule: series.schedule, outcomes: {} }));
      addInto(into.outcomes, series.outcomes);
    }
    addInto(total.unknown, s.unknown);
    addInto(total.recovery, s.recovery);
    addInto(total.store.errors, s.store.errors);
    addInto(total.store.reconnects, s.store.reconnects);
    addInto(total.slots, s.slots);
  }
  total.jobs = [...jobs.values()];
  total.schedules = [...schedules.values()];
  return total;
}

/** Is this a snapshot (it came over IPC from another process)? Checks the shape, not every number. */
export function isSnapshot(value: unknown): value is MetricsSnapshot {
  const v = value as Partial<MetricsSnapshot> | null;
  return !!v && Array.isArray(v.jobs) && Array.isArray(v.schedules) && typeof v.unknown === 'object' && typeof v.recovery === 'object'
    && typeof v.store === 'object' && typeof v.slots === 'object';
}
