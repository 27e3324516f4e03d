// The admin side of the SQLite store: reads for stats and the dashboard, and the operator
// changes (retry/remove/clear failures, pause all). Never on a worker's hot path; statements
// are prepared on first use. Lifecycle: created by SqliteStore.admin(), shares its connection.
// Invariant: failure entries are matched by their exact stored string, oldest first (like
// Redis LREM count 1), so acting on an entry stays correct while the list moves.

import type Database from 'better-sqlite3';
import { foldMetrics, windowSlots, type JobMetrics, type MetricWindow } from '../job-metrics.ts';
import type { AdminStore, FailedEntry, FailedFilter, JobSearch, JobState, QueuedJob, QueueStats, ScheduledEntry, ScheduledFilter, Stats, WorkerView } from '../types.ts';
import * as lists from './admin-lists.ts';
import { findJob, findJobStep } from './admin-job.ts';
import { append } from './ops.ts';
import { enqueuedAtOf, parseObject } from '../resque-format.ts';
import { minuteOf, THROUGHPUT_MINUTES } from '../throughput.ts';
import type { Statements } from './statements.ts';

interface Host {
  run<T>(what: string, fn: () => T): T;
  notify(): void;
}

interface WorkerRow { id: string; resque_id: string; started: string | null; heartbeat: string | null; working_on: string | null; in_flight: number }

export class SqliteAdmin implements AdminStore {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(private readonly db: Database.Database, private readonly host: Host, private readonly st: Statements) {}

  private sql(source: string): Database.Statement {
    let statement = this.cache.get(source);
    if (!statement) this.cache.set(source, (statement = this.db.prepare(source)));
    return statement;
  }

  private read<T>(what: string, fn: () => T): Promise<T> {
    return new Promise((resolve) => resolve(this.host.run(what, fn)));
  }

  queues(): Promise<string[]> {
    return this.read('queues', () => this.st.queueNames.all());
  }

  peek(queue: string, start: number, count: number): Promise<string[]> {
    return this.read('peek', () => {
      const size = this.st.queueWaiting.get(queue) ?? 0;
      const [offset, limit] = window(start, count, () => size);
      if (limit <= 0) return [];
      // An OFFSET walks the index from its end: a page near the tail is read from the tail.
      if (offset > size / 2) {
        const fromTail = Math.max(0, size - offset - limit);
        const sql = 'SELECT payload FROM jobs WHERE queue = ? AND worker IS NULL ORDER BY pos DESC LIMIT ? OFFSET ?';
        return (this.sql(sql).pluck().all(queue, Math.min(limit, size - offset), fromTail) as string[]).reverse();
      }
      return this.sql('SELECT payload FROM jobs WHERE queue = ? AND worker IS NULL ORDER BY pos LIMIT ? OFFSET ?').pluck().all(queue, limit, offset) as string[];
    });
  }

  failed(start: number, count: number): Promise<FailedEntry[]> {
    return this.read('failed', () => {
      const [offset, limit] = window(start, count, () => this.countFailed());
      if (limit <= 0) return [];
      const raws = this.sql('SELECT raw FROM failed ORDER BY id LIMIT ? OFFSET ?').pluck().all(limit, offset) as string[];
      return raws.map((raw, i) => ({ index: offset + i, raw, entry: parseObject(raw) }));
    });
  }

  failedCount(): Promise<number> {
    return this.read('failed count', () => this.countFailed());
  }

  private countFailed(): number {
    return this.sql('SELECT COUNT(*) FROM failed').pluck().get() as number;
  }

  private removeOne(raw: string): boolean {
    return this.sql('DELETE FROM failed WHERE id = (SELECT id FROM failed WHERE raw = ? ORDER BY id LIMIT 1)').run(raw).changes === 1;
  }

  async retryFailed(raw: string, job: QueuedJob): Promise<boolean> {
    const retried = this.host.run('retry failed', () =>
      this.db.transaction(() => {
        if (!this.removeOne(raw)) return false;
        append(this.st, job.queue, [job.payload]);
        return true;
      }).immediate(),
    );
    if (retried) this.host.notify();
    return retried;
  }

  async removeFailed(raw: string): Promise<boolean> {
    return this.host.run('remove failed', () => this.removeOne(raw));
  }

  async clearFailed(): Promise<number> {
    return this.host.run('clear failed', () => this.sql('DELETE FROM failed').run().changes);
  }

  async setPaused(paused: boolean): Promise<void> {
    this.host.run('pause', () =>
      paused
        ? this.sql("INSERT INTO meta (key, value) VALUES ('pause-all-workers', 'true') ON CONFLICT (key) DO UPDATE SET value = 'true'").run()
        : this.sql("DELETE FROM meta WHERE key = 'pause-all-workers'").run(),
    );
  }

  async setQueuePaused(queue: string, paused: boolean): Promise<void> {
    this.host.run('pause queue', () =>
      paused
        ? this.sql('INSERT INTO paused_queues (name) VALUES (?) ON CONFLICT DO NOTHING').run(queue)
        : this.sql('DELETE FROM paused_queues WHERE name = ?').run(queue),
    );
    // Waiters re-read their queues' version, which counts a paused queue's jobs for nothing.
    this.host.notify();
  }

  jobMetrics(window: MetricWindow): Promise<JobMetrics> {
    return this.read('job metrics', () => {
      const { grain, slots } = windowSlots(window, Date.now());
      const cells = slots.map(() => new Map<string, number>());
      const first = slots[0]!;
      for (const row of this.st.metricsOf.all(grain, first, slots[slots.length - 1]!)) cells[row.slot - first]?.set(`${row.field}:${row.class}`, row.count);
      return foldMetrics(window, grain, slots, cells);
    });
  }

  pausedQueues(): Promise<string[]> {
    return this.read('paused queues', () => this.st.pausedQueues.all());
  }

  workers(): Promise<WorkerView[]> {
    return this.read('workers', () => this.workerViews());
  }

  /** One view per Resque id, with the process instances that show it (see ../identity.ts). */
  private workerViews(): WorkerView[] {
    const rows = this.sql(
      'SELECT w.id, COALESCE(w.resque_id, w.id) AS resque_id, w.started, w.heartbeat, w.working_on, ' +
      '(SELECT COUNT(*) FROM jobs j WHERE j.worker = w.id) AS in_flight FROM workers w ORDER BY resque_id, w.id',
    ).all() as WorkerRow[];
    const views = new Map<string, WorkerView & { instances: string[] }>();
    for (const row of rows) {
      const seen = views.get(row.resque_id);
      if (seen) {
        seen.instances.push(row.id);
        views.set(row.resque_id, { ...seen, inFlight: seen.inFlight + row.in_flight, workingOn: seen.workingOn ?? parseObject(row.working_on) });
        continue;
      }
      views.set(row.resque_id, {
        id: row.resque_id,
        queues: (row.resque_id.split(':')[2] ?? '').split(',').filter(Boolean),
        startedAt: row.started ?? undefined,
        heartbeatAt: row.heartbeat ?? undefined,
        instances: [row.id],
        workingOn: parseObject(row.working_on),
        inFlight: row.in_flight,
      });
    }
    return [...views.values()];
  }

  scheduledCount(): Promise<number> {
    return this.read('scheduled count', () => this.sql('SELECT COUNT(*) FROM scheduled').pluck().get() as number);
  }

  async removeQueued(queue: string, payload: string): Promise<boolean> {
    return this.host.run('remove queued job', () => lists.removeQueued(this.db, (s) => this.sql(s), queue, payload));
  }

  async clearQueue(queue: string): Promise<number> {
    return this.host.run('clear queue', () => lists.clearQueue(this.db, (s) => this.sql(s), queue));
  }

  scheduled(start: number, count: number): Promise<ScheduledEntry[]> {
    return this.read('scheduled', () => lists.scheduled((s) => this.sql(s), start, count));
  }

  async runScheduled(key: string): Promise<boolean> {
    const ran = this.host.run('run scheduled job', () => lists.runScheduled(this.db, (s) => this.sql(s), this.st, key));
    if (ran) this.host.notify();
    return ran;
  }

  async removeScheduled(key: string): Promise<boolean> {
    return this.host.run('remove scheduled job', () => lists.removeScheduled((s) => this.sql(s), key));
  }

  async runScheduledMatching(filter: ScheduledFilter): Promise<number> {
    const ran = this.host.run('run scheduled jobs', () => lists.scheduledMatching(this.db, (s) => this.sql(s), this.st, 'run', filter));
    if (ran > 0) this.host.notify();
    return ran;
  }

  async removeScheduledMatching(filter: ScheduledFilter): Promise<number> {
    return this.host.run('remove scheduled jobs', () => lists.scheduledMatching(this.db, (s) => this.sql(s), this.st, 'remove', filter));
  }

  async removeFailedMatching(filter: FailedFilter): Promise<number> {
    return this.host.run('remove failed', () => lists.removeFailedMatching((s) => this.sql(s), filter));
  }

  async retryFailedMatching(filter: FailedFilter, prepare: (entry: FailedEntry) => QueuedJob | undefined): Promise<{ retried: number; skipped: number }> {
    const result = this.host.run('retry failed', () => lists.retryFailedMatching(this.db, (s) => this.sql(s), this.st, filter, prepare));
    if (result.retried > 0) this.host.notify();
    return result;
  }

  job(id: string): Promise<JobState> {
    return this.read('find job', () => findJob(this.db, (source) => this.sql(source), id));
  }

  findJobStep(id: string, resume: string | undefined, budget: number): Promise<JobSearch> {
    return this.read('find job', () => findJobStep(this.db, (source) => this.sql(source), id, resume, budget));
  }

  stats(): Promise<Stats> {
    // One read transaction: every number comes from the same snapshot.
    return this.read('stats', () => this.db.transaction((): Stats => {
      const counter = (key: string) => (this.sql('SELECT value FROM counters WHERE key = ?').pluck().get(key) as number | undefined) ?? 0;
      const since = minuteOf(Date.now()) - THROUGHPUT_MINUTES + 1;
      const paused = new Set(this.st.pausedQueues.all());
      const queues: QueueStats[] = this.st.queueNames.all().map((name) => ({
        name,
        recentlyDone: this.st.throughputSince.get(name, since) ?? 0,
        size: this.st.queueWaiting.get(name) ?? 0,
        oldestEnqueuedAt: enqueuedAtOf(this.sql('SELECT payload FROM jobs WHERE queue = ? AND worker IS NULL ORDER BY pos LIMIT 1').pluck().get(name) as string | undefined),
        paused: paused.has(name),
      }));
      return {
        processed: counter('processed'),
        failed: counter('failed'),
        paused: this.st.paused.get() === 'true',
        failedCount: this.countFailed(),
        scheduled: this.sql('SELECT COUNT(*) FROM scheduled').pluck().get() as number,
        // Through the partial index scheduled_retry: as many steps as there are retries.
        retrying: this.sql('SELECT COUNT(*) FROM scheduled WHERE retry = 1').pluck().get() as number,
        queues,
        workers: this.workerViews(),
      };
    }).deferred());
  }
}

/** Redis LRANGE semantics for (start, count): a negative start counts from the end. */
function window(start: number, count: number, length: () => number): [offset: number, limit: number] {
  const offset = start < 0 ? Math.max(0, length() + start) : start;
  const end = start < 0 ? length() + start + count : start + count;
  return [offset, Math.max(0, end - offset)];
}
