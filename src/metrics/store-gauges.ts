// Gauges read from the store at scrape time (prom-client collect callbacks), by the one process
// that serves /metrics: queue sizes and latency, scheduled, retrying and failed counts, registered
// workers and jobs in flight, Resque's processed/failed counters, schedules' last runs. A scrape
// costs the store one stats() and, with schedules, one list(), shared by every gauge of that
// scrape. A store that does not answer makes errand_store_up 0 and leaves the others out, so
// the scrape itself still succeeds and the alert can say why.

import type * as Prom from 'prom-client';
import type { AdminStore, Stats } from '../storage/types.ts';
import type { ScheduleState, ScheduleStore } from '../storage/schedule-types.ts';

export interface StoreSources {
  readonly admin: () => Promise<AdminStore>;
  readonly schedules?: () => Promise<ScheduleStore | undefined>;
}

interface Reading {
  stats: Stats | undefined;
  schedules: ScheduleState[];
  at: number;
}

/** One store reading per scrape: the gauges' collect callbacks run together and share it. */
function reader(sources: StoreSources): () => Promise<Reading> {
  let last: Promise<Reading> | undefined;
  let lastAt = 0;
  return () => {
    if (last && Date.now() - lastAt < 250) return last;
    lastAt = Date.now();
    last = (async () => {
      const at = Date.now();
      const stats = await (await sources.admin()).stats().catch(() => undefined);
      const schedules = stats ? await (await sources.schedules?.())?.list().catch(() => []) ?? [] : [];
      return { stats, schedules, at };
    })().catch(() => ({ stats: undefined, schedules: [], at: Date.now() }));
    return last;
  };
}

export function registerStoreGauges(prom: typeof Prom, registry: Prom.Registry, sources: StoreSources): void {
  const read = reader(sources);
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Prom.Gauge, r: Reading & { stats: Stats }) => void) =>
    new prom.Gauge({ name, help, labelNames, registers, async collect() {
      this.reset();
      const reading = await read();
      if (reading.stats) fill(this, reading as Reading & { stats: Stats });
    } });
  // While the store does not answer, a counter keeps its last value: a drop to 0 would read as a reset.
  const counter = (name: string, help: string, value: (stats: Stats) => number) => {
    let last = 0;
    return new prom.Counter({ name, help, registers, async collect() {
      const { stats } = await read();
      if (stats) last = value(stats);
      this.reset();
      this.inc(last);
    } });
  };

  new prom.Gauge({ name: 'errand_store_up', help: '1 when the store answered this scrape, else 0 (and the store gauges are left out).', registers, async collect() {
    this.set((await read()).stats ? 1 : 0);
  } });
  gauge('errand_queue_size', 'Jobs waiting in each queue (read from the store at scrape time).', ['queue'], (g, { stats }) => {
    for (const queue of stats.queues) g.set({ queue: queue.name }, queue.size);
  });
  gauge('errand_queue_latency_seconds', 'Age of the oldest job waiting in each queue, 0 when it is empty.', ['queue'], (g, { stats, at }) => {
    for (const queue of stats.queues) g.set({ queue: queue.name }, queue.oldestEnqueuedAt === undefined ? 0 : Math.max(0, at - queue.oldestEnqueuedAt) / 1000);
  });
  gauge('errand_scheduled_jobs', 'Jobs in the scheduled set: delayed enqueues and retries waiting for their time.', [], (g, { stats }) => g.set(stats.scheduled));
  gauge('errand_retrying_jobs', 'Of the scheduled set, the jobs waiting for another attempt after a failed one.', [], (g, { stats }) => g.set(stats.retrying));
  gauge('errand_failed_jobs', 'Entries in the failed list.', [], (g, { stats }) => g.set(stats.failedCount));
  gauge('errand_workers', 'Workers registered in the store (errand and Ruby Resque, every host).', [], (g, { stats }) => g.set(stats.workers.length));
  gauge('errand_jobs_in_flight', 'Jobs reserved by workers (running or in their buffers), from the store.', [], (g, { stats }) => g.set(stats.workers.reduce((n, w) => n + w.inFlight, 0)));
  gauge('errand_workers_paused', '1 while pause-all-workers is set.', [], (g, { stats }) => g.set(stats.paused ? 1 : 0));
  counter('errand_stat_processed_total', "Resque's stat:processed, kept in the store: attempts settled by every worker since the store began.", (s) => s.processed);
  counter('errand_stat_failed_total', "Resque's stat:failed, kept in the store: failed attempts (retried or not) by every worker.", (s) => s.failed);
  gauge('errand_schedule_last_run_timestamp_seconds', 'When each schedule last enqueued a run (store time, Unix seconds).', ['schedule'], (g, { schedules }) => {
    for (const s of schedules) if (s.lastRunAt !== undefined) g.set({ schedule: s.name }, s.lastRunAt / 1000);
  });
}
