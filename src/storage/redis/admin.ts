// The admin side of the Redis store: reads for stats and the dashboard, and the few operator
// changes (retry/remove/clear failures, pause all). Never used by a worker's hot path.

import type { Redis } from 'ioredis';
import { foldMetrics, windowSlots, type JobMetrics, type MetricWindow } from '../job-metrics.ts';
import type { AdminStore, FailedEntry, FailedFilter, JobSearch, JobState, QueuedJob, QueueStats, ScheduledEntry, ScheduledFilter, Stats, WorkerView } from '../types.ts';
import * as lists from './admin-lists.ts';
import { findJob, findJobStep } from './admin-job.ts';
import { minuteOf, THROUGHPUT_MINUTES } from '../throughput.ts';
import type { RedisKeys } from './keys.ts';
import { enqueuedAtOf, parseObject } from '../resque-format.ts';
import type { ScriptCall, ScriptName } from './scripts.ts';

type Guard = <T>(what: string, run: () => Promise<T>) => Promise<T>;

export class RedisAdmin implements AdminStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly scripts: Record<ScriptName, ScriptCall>,
    private readonly guard: Guard,
  ) {}

  queues(): Promise<string[]> {
    return this.guard('queues', async () => (await this.redis.smembers(this.keys.queues)).sort());
  }

  peek(queue: string, start: number, count: number): Promise<string[]> {
    if (count <= 0) return Promise.resolve([]);
    return this.guard('peek', () => this.redis.lrange(this.keys.queue(queue), ...lrangeBounds(start, count)));
  }

  private async queueStats(names: string[]): Promise<QueueStats[]> {
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    pipeline.smembers(this.keys.pausedQueues);
    const now = minuteOf(Date.now());
    const minutes = Array.from({ length: THROUGHPUT_MINUTES }, (_, i) => now - i);
    for (const name of names) {
      pipeline.llen(this.keys.queue(name)).lindex(this.keys.queue(name), 0).mget(...minutes.map((minute) => `${this.keys.donePrefix}${name}:${minute}`));
    }
    const [pausedReply, ...results] = (await pipeline.exec()) ?? [];
    const paused = new Set((pausedReply?.[1] as string[] | undefined) ?? []);
    return names.map((name, i) => ({
      name,
      size: Number(results[i * 3]?.[1] ?? 0),
      oldestEnqueuedAt: enqueuedAtOf(results[i * 3 + 1]?.[1] as string | null),
      recentlyDone: ((results[i * 3 + 2]?.[1] as (string | null)[] | undefined) ?? []).reduce((sum, count) => sum + Number(count ?? 0), 0),
      paused: paused.has(name),
    }));
  }

  failed(start: number, count: number): Promise<FailedEntry[]> {
    if (count <= 0) return Promise.resolve([]);
    return this.guard('failed', async () => {
      if (start >= 0) {
        const raws = await this.redis.lrange(this.keys.failed, start, start + count - 1);
        return raws.map((raw, i) => ({ index: start + i, raw, entry: parseObject(raw) }));
      }
      // Counted from the newest, but an index is a position from the oldest (as in SQLite), so it
      // needs the length, read in the same MULTI as the range the index is relative to.
      const [[, length], [, raws]] = (await this.redis.multi().llen(this.keys.failed).lrange(this.keys.failed, ...lrangeBounds(start, count)).exec()) as [[null, number], [null, string[]]];
      const offset = Math.max(0, length + start);
      return raws.map((raw, i) => ({ index: offset + i, raw, entry: parseObject(raw) }));
    });
  }

  failedCount(): Promise<number> {
    return this.guard('failed count', () => this.redis.llen(this.keys.failed));
  }

  async retryFailed(raw: string, job: QueuedJob): Promise<boolean> {
    const k = this.keys;
    const result = await this.guard('retry failed', () => this.scripts['retry-failed']([k.failed, k.queues, k.queue(job.queue)], [raw, job.queue, job.payload, k.wakeChannel]));
    return Number(result) === 1;
  }

  async removeFailed(raw: string): Promise<boolean> {
    return (await this.guard('remove failed', () => this.redis.lrem(this.keys.failed, 1, raw))) === 1;
  }

  clearFailed(): Promise<number> {
    return this.guard('clear failed', async () => {
      const [[, length]] = (await this.redis.multi().llen(this.keys.failed).del(this.keys.failed).exec()) as [[null, number]];
      return length;
    });
  }

  async setPaused(paused: boolean): Promise<void> {
    await this.guard<unknown>('pause', () => (paused ? this.redis.set(this.keys.pauseAll, 'true') : this.redis.del(this.keys.pauseAll)));
  }

  async setQueuePaused(queue: string, paused: boolean): Promise<void> {
    await this.guard<unknown>('pause queue', () =>
      paused
        ? this.redis.sadd(this.keys.pausedQueues, queue)
        // The wake tells idle workers that the queue's jobs are theirs again.
        : this.redis.multi().srem(this.keys.pausedQueues, queue).publish(this.keys.wakeChannel, queue).exec(),
    );
  }

  jobMetrics(window: MetricWindow): Promise<JobMetrics> {
    return this.guard('job metrics', async () => {
      const { grain, slots } = windowSlots(window, Date.now());
      const pipeline = this.redis.pipeline();
      for (const slot of slots) pipeline.hgetall(this.keys.metrics(grain, slot));
      const replies = (await pipeline.exec()) ?? [];
      const cells = replies.map(([, hash]) => new Map(Object.entries((hash as Record<string, string> | null) ?? {}).map(([cell, n]) => [cell, Number(n)])));
      return foldMetrics(window, grain, slots, cells);
    });
  }

  pausedQueues(): Promise<string[]> {
    return this.guard('paused queues', async () => (await this.redis.smembers(this.keys.pausedQueues)).sort());
  }

  workers(): Promise<WorkerView[]> {
    return this.guard('workers', async () => {
      const ids = (await this.redis.smembers(this.keys.workers)).sort();
      if (ids.length === 0) return [];
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.get(this.keys.workerStarted(id)).hget(this.keys.heartbeats, id).get(this.keys.worker(id)).smembers(this.keys.instancesOf(id));
      const r = (await pipeline.exec()) ?? [];
      // errand's instances showing each Resque id (Ruby's workers have none), and what each holds.
      const instances = ids.map((_, i) => ((r[i * 4 + 3]?.[1] as string[] | null) ?? []).sort());
      const counts = this.redis.pipeline();
      for (const list of instances) for (const instance of list) counts.hlen(this.keys.inflight(instance));
      const held = ((await counts.exec()) ?? []).map(([, n]) => Number(n ?? 0));
      let next = 0;
      return ids.map((id, i) => ({
        id,
        queues: (id.split(':')[2] ?? '').split(',').filter(Boolean),
        startedAt: (r[i * 4]?.[1] as string | null) ?? undefined,
        heartbeatAt: (r[i * 4 + 1]?.[1] as string | null) ?? undefined,
        instances: instances[i]!,
        workingOn: parseObject(r[i * 4 + 2]?.[1] as string | null),
        inFlight: instances[i]!.reduce((sum) => sum + held[next++]!, 0),
      }));
    });
  }

  scheduledCount(): Promise<number> {
    return this.guard('scheduled count', () => this.redis.zcard(this.keys.schedule));
  }

  removeQueued(queue: string, payload: string): Promise<boolean> {
    return this.guard('remove queued job', () => lists.removeQueued(this.redis, this.keys, queue, payload));
  }

  clearQueue(queue: string): Promise<number> {
    return this.guard('clear queue', () => lists.clearQueue(this.redis, this.keys, queue));
  }

  scheduled(start: number, count: number): Promise<ScheduledEntry[]> {
    return this.guard('scheduled', () => lists.scheduled(this.redis, this.keys, start, count));
  }

  runScheduled(key: string): Promise<boolean> {
    return this.guard('run scheduled job', () => lists.runScheduled(this.keys, this.scripts, key));
  }

  removeScheduled(key: string): Promise<boolean> {
    return this.guard('remove scheduled job', () => lists.removeScheduled(this.keys, this.scripts, key));
  }

  runScheduledMatching(filter: ScheduledFilter): Promise<number> {
    return this.guard('run scheduled jobs', () => lists.scheduledMatching(this.keys, this.scripts, 'run', filter));
  }

  removeScheduledMatching(filter: ScheduledFilter): Promise<number> {
    return this.guard('remove scheduled jobs', () => lists.scheduledMatching(this.keys, this.scripts, 'remove', filter));
  }

  removeFailedMatching(filter: FailedFilter): Promise<number> {
    return this.guard('remove failed', () => lists.removeFailedMatching(this.keys, this.scripts, filter));
  }

  retryFailedMatching(filter: FailedFilter, prepare: (entry: FailedEntry) => QueuedJob | undefined): Promise<{ retried: number; skipped: number }> {
    return this.guard('retry failed', () => lists.retryFailedMatching(this.redis, this.keys, this.scripts, filter, prepare));
  }

  job(id: string): Promise<JobState> {
    return this.guard('find job', () => findJob(this.keys, this.scripts['find-job'], id));
  }

  findJobStep(id: string, resume: string | undefined, budget: number): Promise<JobSearch> {
    return this.guard('find job', () => findJobStep(this.keys, this.scripts['find-job'], id, resume, budget));
  }

  stats(): Promise<Stats> {
    return this.guard('stats', async () => {
      const [processed, failed, paused, failedCount, scheduled, retrying] = await Promise.all([
        this.redis.get(this.keys.processed), this.redis.get(this.keys.failedCount), this.redis.get(this.keys.pauseAll),
        this.redis.llen(this.keys.failed), this.redis.zcard(this.keys.schedule), this.redis.get(this.keys.retrying),
      ]);
      const queues = await this.queueStats(await this.queues());
      // Bounded by the set: a schedule key deleted by hand (not through errand) leaves the counter behind.
      return {
        processed: Number(processed ?? 0), failed: Number(failed ?? 0), paused: paused === 'true', failedCount, scheduled,
        retrying: Math.min(scheduled, Math.max(0, Number(retrying ?? 0))), queues, workers: await this.workers(),
      };
    });
  }
}

/**
 * LRANGE bounds for a window of `count` from `start` (0 = oldest, -1 = newest). A window that
 * starts before the end and would reach past it stops at the newest entry: a plain
 * `start + count - 1` turns non-negative there and LRANGE would read it from the head.
 */
function lrangeBounds(start: number, count: number): [number, number] {
  const end = start + count - 1;
  return [start, start < 0 && end >= 0 ? -1 : end];
}
