// The recorded metrics (jobs, recoveries, schedules, store incidents, busy slots) as prom-client
// metric objects that read a MetricsSnapshot at scrape time: each get() turns the snapshot into
// samples, so nothing is observed through prom-client on the hot path. One snapshot serves a
// whole scrape (taken once, reused for a moment), so the figures of one scrape agree.
// The names and labels are the contract documented in docs/metrics.md.

import type { Metric, Registry } from 'prom-client';
import { BUCKETS, type HistogramData, type MetricsSnapshot } from './snapshot.ts';

type Labels = Record<string, string>;
interface Sample { value: number; labels: Labels; metricName?: string }
type Kind = 'counter' | 'gauge' | 'histogram';

/** A snapshot source shared by every metric of one scrape: taken once per 250 ms at most. */
export function scrapeSnapshot(source: () => MetricsSnapshot): () => MetricsSnapshot {
  let taken: { at: number; snapshot: MetricsSnapshot } | undefined;
  return () => {
    const now = Date.now();
    if (!taken || now - taken.at > 250) taken = { at: now, snapshot: source() };
    return taken.snapshot;
  };
}

function register(registry: Registry, name: string, help: string, type: Kind, samples: () => Sample[]): void {
  const metric = {
    name, help, type, aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: samples() }),
    reset: () => {},
  };
  registry.registerMetric(metric as unknown as Metric);
}

function histogramSamples(name: string, labels: Labels, data: HistogramData): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i < BUCKETS.length; i++) {
    cumulative += data.counts[i] ?? 0;
    samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(BUCKETS[i]) }, value: cumulative });
  }
  cumulative += data.counts[BUCKETS.length] ?? 0;
  samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
  samples.push({ metricName: `${name}_sum`, labels, value: data.sum });
  samples.push({ metricName: `${name}_count`, labels, value: cumulative });
  return samples;
}

const byKey = (record: Record<string, number>, label: string): Sample[] => Object.entries(record).map(([key, value]) => ({ labels: { [label]: key }, value }));

export function registerJobMetrics(registry: Registry, snap: () => MetricsSnapshot): void {
  const perJob = (field: 'enqueued' | 'retried' | 'dead') => () => snap().jobs.filter((s) => s[field] > 0).map((s) => ({ labels: { queue: s.queue, class: s.class }, value: s[field] }));
  register(registry, 'errand_jobs_enqueued_total', 'Jobs stored by enqueue calls of this process (or pool), by queue and class.', 'counter', perJob('enqueued'));
  register(registry, 'errand_jobs_processed_total', 'Attempts finished, by queue, class and outcome (success, or failure whether retried or not).', 'counter', () =>
    snap().jobs.flatMap((s) => [
      ...(s.success > 0 ? [{ labels: { queue: s.queue, class: s.class, outcome: 'success' }, value: s.success }] : []),
      ...(s.failure > 0 ? [{ labels: { queue: s.queue, class: s.class, outcome: 'failure' }, value: s.failure }] : []),
    ]));
  register(registry, 'errand_jobs_retried_total', 'Failed attempts scheduled for another attempt, by queue and class.', 'counter', perJob('retried'));
  register(registry, 'errand_jobs_dead_total', 'Jobs a worker put in the failed list (retries exhausted, not retryable, bad payload), by queue and class.', 'counter', perJob('dead'));
  register(registry, 'errand_jobs_unknown_total', 'Jobs taken that no loaded job matches (each put-back for a worker that knows them, and the final failure), by queue.', 'counter', () => byKey(snap().unknown, 'queue'));
  register(registry, 'errand_jobs_poisoned_total', 'Jobs moved to the failed list because they were in flight in too many worker deaths.', 'counter', () => [{ labels: {}, value: snap().recovery.poisoned }]);
  register(registry, 'errand_jobs_recovered_total', 'Jobs of dead workers handed back to their queues.', 'counter', () => [{ labels: {}, value: snap().recovery.requeued }]);
  register(registry, 'errand_worker_deaths_recovered_total', 'Dead workers (expired lease) whose jobs were recovered.', 'counter', () => [{ labels: {}, value: snap().recovery.deadWorkers }]);
  register(registry, 'errand_job_duration_seconds', 'How long attempts ran, by queue, class and outcome.', 'histogram', () =>
    snap().jobs.flatMap((s) => [
      ...(s.success > 0 ? histogramSamples('errand_job_duration_seconds', { queue: s.queue, class: s.class, outcome: 'success' }, s.durationSuccess) : []),
      ...(s.durationFailure.counts.some((n) => n > 0) ? histogramSamples('errand_job_duration_seconds', { queue: s.queue, class: s.class, outcome: 'failure' }, s.durationFailure) : []),
    ]));
  register(registry, 'errand_job_latency_seconds', 'Time from enqueue to the start of the first attempt, by queue and class.', 'histogram', () =>
    snap().jobs.filter((s) => s.latency.counts.some((n) => n > 0)).flatMap((s) => histogramSamples('errand_job_latency_seconds', { queue: s.queue, class: s.class }, s.latency)));
  const ticks = (names: readonly string[], reason?: string) => () => snap().schedules.map((s) => ({
    labels: { schedule: s.schedule, ...(reason ? { reason } : {}) }, value: names.reduce((n, name) => n + (s.outcomes[name] ?? 0), 0),
  })).filter((sample) => sample.value > 0);
  register(registry, 'errand_schedule_runs_total', 'Schedule ticks that enqueued a run (on time or caught up), by schedule.', 'counter', ticks(['enqueued', 'caught-up']));
  register(registry, 'errand_schedule_missed_ticks_total', 'Schedule ticks claimed too late to run and not caught up, by schedule.', 'counter', ticks(['missed']));
  register(registry, 'errand_schedule_skipped_ticks_total', 'Schedule ticks skipped, by schedule and reason (overlap: the last run still waits or runs; paused).', 'counter',
    () => [...ticks(['overlap'], 'overlap')(), ...ticks(['paused'], 'paused')()]);
  register(registry, 'errand_store_errors_total', 'Store commands that failed, by store (redis, sqlite).', 'counter', () => byKey(snap().store.errors, 'store'));
  register(registry, 'errand_store_reconnects_total', 'Reconnections of the Redis connection, by store.', 'counter', () => byKey(snap().store.reconnects, 'store'));
  register(registry, 'errand_worker_slots', 'Job slots (concurrency) of the running workers of this process (or pool).', 'gauge', () => [{ labels: {}, value: snap().slots.total }]);
  register(registry, 'errand_worker_busy_slots', 'Job slots running a job now, in this process (or pool).', 'gauge', () => [{ labels: {}, value: snap().slots.busy }]);
}
