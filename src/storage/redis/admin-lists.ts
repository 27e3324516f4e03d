// The Redis admin side's list edits for the dashboard: waiting jobs (remove one, clear a queue),
// the scheduled set (list by due time, run one now, remove one) and the failed list's filtered
// bulk actions. RedisAdmin delegates here; each change is one command or one Lua script.
// Invariant: entries are addressed by their stored value, never by position (the lists move).

import type { Redis } from 'ioredis';
import type { FailedEntry, FailedFilter, QueuedJob, ScheduledEntry, ScheduledFilter } from '../types.ts';
import { parseObject } from '../resque-format.ts';
import type { RedisKeys } from './keys.ts';
import type { ScriptCall, ScriptName } from './scripts.ts';

type Scripts = Record<ScriptName, ScriptCall>;
/** Staged entries pushed per failed-requeue call: bounds one call's size whatever the list's. */
const DRAIN_BATCH = 500;

export async function removeQueued(redis: Redis, keys: RedisKeys, queue: string, payload: string): Promise<boolean> {
  return (await redis.lrem(keys.queue(queue), 1, payload)) === 1;
}

export async function clearQueue(redis: Redis, keys: RedisKeys, queue: string): Promise<number> {
  // The name stays in `queues` (as it does in SQLite): clearing empties a queue, it does not forget it.
  const [[, length]] = (await redis.multi().llen(keys.queue(queue)).del(keys.queue(queue)).exec()) as [[null, number]];
  return length;
}

/** A schedule member is `tag\nqueue\npayload` (see keys.schedule). */
function parseMember(member: string): { queue: string; payload: string } | undefined {
  const first = member.indexOf('\n');
  const second = member.indexOf('\n', first + 1);
  if (first < 0 || second < 0) return undefined;
  return { queue: member.slice(first + 1, second), payload: member.slice(second + 1) };
}

export async function scheduled(redis: Redis, keys: RedisKeys, start: number, count: number): Promise<ScheduledEntry[]> {
  if (count <= 0 || start < 0) return [];
  const flat = await redis.zrange(keys.schedule, start, start + count - 1, 'WITHSCORES');
  const entries: ScheduledEntry[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const parsed = parseMember(flat[i]!);
    if (parsed) entries.push({ index: start + i / 2, key: flat[i]!, ...parsed, runAt: Number(flat[i + 1]) });
  }
  return entries;
}

export async function runScheduled(keys: RedisKeys, scripts: Scripts, key: string): Promise<boolean> {
  const parsed = parseMember(key);
  if (!parsed) return false;
  return Number(await scripts['run-scheduled']([keys.schedule, keys.queues, keys.queue(parsed.queue), keys.retrying], [key, parsed.queue, parsed.payload, keys.wakeChannel])) === 1;
}

export async function removeScheduled(keys: RedisKeys, scripts: Scripts, key: string): Promise<boolean> {
  return Number(await scripts['remove-scheduled']([keys.schedule, keys.retrying], [key])) === 1;
}

/** Runs now or removes every scheduled entry matching `filter`: one scheduled-filter.lua call. */
export async function scheduledMatching(keys: RedisKeys, scripts: Scripts, mode: 'run' | 'remove', filter: ScheduledFilter): Promise<number> {
  return Number(await scripts['scheduled-filter']([keys.schedule, keys.queues, keys.retrying], [mode, filter.class ?? '', filter.queue ?? '', keys.queuePrefix, keys.wakeChannel]));
}

function filterArgs(filter: FailedFilter): string[] {
  return [filter.class ?? '', filter.queue ?? '', filter.error ?? ''];
}

export async function removeFailedMatching(keys: RedisKeys, scripts: Scripts, filter: FailedFilter): Promise<number> {
  return Number(await scripts['failed-filter']([keys.failed, keys.failedRebuild, keys.failedStaging], ['remove', ...filterArgs(filter)]));
}

/**
 * Stages the matches in one pass, then pushes their jobs in batches. Entries left staged by a
 * caller that died midway are drained too (anyone may drain: each batch checks the head it read).
 */
export async function retryFailedMatching(
  redis: Redis, keys: RedisKeys, scripts: Scripts, filter: FailedFilter, prepare: (entry: FailedEntry) => QueuedJob | undefined,
): Promise<{ retried: number; skipped: number }> {
  await scripts['failed-filter']([keys.failed, keys.failedRebuild, keys.failedStaging], ['stage', ...filterArgs(filter)]);
  let retried = 0;
  let skipped = 0;
  for (;;) {
    const raws = await redis.lrange(keys.failedStaging, 0, DRAIN_BATCH - 1);
    if (raws.length === 0) return { retried, skipped };
    const names: string[] = [];
    const triples: string[] = [];
    for (const raw of raws) {
      const job = prepare({ index: -1, raw, entry: parseObject(raw) });
      let q = 0;
      if (job) {
        q = names.indexOf(job.queue) + 1;
        if (q === 0) q = names.push(job.queue);
      }
      triples.push(raw, String(q), job?.payload ?? '');
    }
    const pushed = Number(await scripts['failed-requeue'](
      [keys.failedStaging, keys.failed, keys.queues, ...names.map((name) => keys.queue(name))],
      [keys.wakeChannel, raws.length, ...triples, ...names],
    ));
    if (pushed < 0) continue;
    retried += pushed;
    skipped += raws.length - pushed;
  }
}
