// The in-process recorder: a worker's observer (worker/observer.ts) and a scheduler's, plus the
// enqueue counter, adding into plain numbers. Per finished attempt it does a map look-up and a
// few increments (no prom-client on the hot path; the registry reads snapshot() at scrape time,
// and a supervised child sends it in its heartbeat). Lifecycle: made once per errand when
// metrics are enabled; watches every worker and scheduler that errand makes from then on.
// Invariants: counters only grow; a job class label is a name of a job this process loaded
// (anything else is UNKNOWN_CLASS), so a hostile payload cannot add label values.

import { UnknownJobError } from '../errors.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import { storeIncidents } from '../storage/incidents.ts';
import type { RecoverResult, ReservedJob } from '../storage/types.ts';
import type { Execution } from '../worker/executor.ts';
import type { WorkerObserver } from '../worker/observer.ts';
import type { Worker } from '../worker/worker.ts';
import { BUCKETS, emptyHistogram, UNKNOWN_CLASS, type HistogramData, type JobSeries, type MetricsSnapshot, type ScheduleSeries } from './snapshot.ts';

function observe(histogram: HistogramData, seconds: number): void {
  let i = 0;
  while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
  histogram.counts[i]!++;
  histogram.sum += seconds;
}

export class Recorder implements WorkerObserver {
  private readonly byQueue = new Map<string, Map<string, JobSeries>>();
  private readonly unknown: Record<string, number> = {};
  private readonly recovery = { deadWorkers: 0, requeued: 0, poisoned: 0 };
  private readonly schedules = new Map<string, ScheduleSeries>();
  private readonly workers = new Set<Worker>();

  /** The last series used: a worker mostly runs one queue and class after another, so this skips both look-ups. */
  private last: JobSeries | undefined;

  private series(queue: string, jobClass: string): JobSeries {
    const last = this.last;
    if (last !== undefined && last.queue === queue && last.class === jobClass) return last;
    let classes = this.byQueue.get(queue);
    if (!classes) this.byQueue.set(queue, (classes = new Map()));
    let series = classes.get(jobClass);
    if (!series) {
      series = { queue, class: jobClass, enqueued: 0, success: 0, failure: 0, retried: 0, dead: 0, durationSuccess: emptyHistogram(), durationFailure: emptyHistogram(), latency: emptyHistogram() };
      classes.set(jobClass, series);
    }
    this.last = series;
    return series;
  }

  watchWorker(worker: Worker): void {
    worker.observer = this;
    this.workers.add(worker);
  }

  watchScheduler(scheduler: Scheduler): void {
    scheduler.observer = (schedule, outcome) => {
      if (outcome === 'early' || outcome === 'taken') return; // not decided here: another claim (or process) decides it
      let series = this.schedules.get(schedule);
      if (!series) this.schedules.set(schedule, (series = { schedule, outcomes: {} }));
      series.outcomes[outcome] = (series.outcomes[outcome] ?? 0) + 1;
    };
  }

  /** `count` jobs of one class stored by one enqueue call. */
  enqueued(queue: string, jobClass: string, count: number): void {
    this.series(queue, jobClass).enqueued += count;
  }

  executed(job: ReservedJob, execution: Execution, startedAt: number): void {
    const { outcome, info } = execution;
    if (!info) {
      // Nothing this process can run: an unknown job (put back, or failed after its wait) or a
      // payload that is not a job. Its class comes from the payload, so it is not a label.
      if (outcome.kind === 'retry' || execution.error instanceof UnknownJobError) this.unknown[job.queue] = (this.unknown[job.queue] ?? 0) + 1;
      if (outcome.kind === 'failed') {
        const series = this.series(job.queue, UNKNOWN_CLASS);
        series.failure++;
        series.dead++;
      }
      return;
    }
    const series = this.series(job.queue, info.name);
    const seconds = execution.durationMs / 1000;
    if (outcome.kind === 'done') {
      series.success++;
      observe(series.durationSuccess, seconds);
    } else {
      series.failure++;
      observe(series.durationFailure, seconds);
      if (outcome.kind === 'retry') series.retried++;
      else series.dead++;
    }
    // Enqueue to start of the first attempt only: a retry's enqueued_at is the first enqueue's.
    if (info.attempt === 1 && execution.enqueuedAt !== undefined) observe(series.latency, Math.max(0, startedAt - execution.enqueuedAt) / 1000);
  }

  recovered(result: RecoverResult): void {
    this.recovery.deadWorkers += result.deadWorkers.length;
    this.recovery.requeued += result.requeued;
    this.recovery.poisoned += result.poisoned;
  }

  stopped(worker: Worker): void {
    this.workers.delete(worker);
  }

  /** A copy of everything recorded so far, plus this process's store incidents and busy slots now. */
  snapshot(): MetricsSnapshot {
    const jobs: JobSeries[] = [];
    for (const classes of this.byQueue.values()) for (const series of classes.values()) jobs.push(structuredClone(series));
    const slots = { workers: 0, total: 0, busy: 0 };
    for (const worker of this.workers) {
      if (worker.state !== 'running' && worker.state !== 'stopping') continue;
      slots.workers++;
      slots.total += worker.concurrency;
      slots.busy += worker.busy;
    }
    return {
      jobs, unknown: { ...this.unknown }, recovery: { ...this.recovery }, slots,
      schedules: [...this.schedules.values()].map((s) => ({ schedule: s.schedule, outcomes: { ...s.outcomes } })),
      store: storeIncidents(),
    };
  }
}
