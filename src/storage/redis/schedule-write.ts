// The Redis writes of delayed jobs (enqueueAt/enqueueIn, and the store's schedule()): errand's
// scheduled set through schedule.lua, or Ruby resque-scheduler's keys through
// schedule-resque.lua. Both send delays, not due times: the scripts add them to Redis's clock,
// so a producer's skewed clock cannot move a job's due time. Invariant: at most `maxArgs`
// arguments per script call (Lua's unpack() limit); a larger batch is several calls.

import type { Redis } from 'ioredis';
import { resqueSchedulerItem } from '../resque-format.ts';
import type { ScheduledJob } from '../types.ts';
import { throwFirst } from './enqueue-batch.ts';
import type { RedisKeys } from './keys.ts';
import { commandName, type ScriptCall, type ScriptName } from './scripts.ts';

const SCHEDULE_COMMAND = commandName('schedule');

export interface ScheduleWriteDeps {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly scripts: Record<ScriptName, ScriptCall>;
  readonly maxArgs: number;
}

/** Into errand's scheduled set; `tag()` gives each member its unique tag. */
export async function scheduleInErrand(deps: ScheduleWriteDeps, jobs: readonly ScheduledJob[], tag: () => string): Promise<void> {
  const { redis, keys, scripts, maxArgs } = deps;
  const now = Date.now();
  const pairs: (string | number)[] = [];
  for (const job of jobs) pairs.push(Math.max(0, Math.floor(job.runAt - now)), `${tag()}\n${job.queue}\n${job.payload}`);
  if (pairs.length <= maxArgs) return void (await scripts.schedule([keys.schedule], [keys.wakeChannel, ...pairs]));
  const pipeline = redis.pipeline();
  const command = (pipeline as unknown as Record<string, (...a: (string | number)[]) => unknown>)[SCHEDULE_COMMAND]!;
  for (let i = 0; i < pairs.length; i += maxArgs) command.call(pipeline, 1, keys.schedule, keys.wakeChannel, ...pairs.slice(i, i + maxArgs));
  throwFirst(await pipeline.exec());
}

/** In resque-scheduler's layout (see schedule-resque.lua): due to the second, on Redis's clock. */
export async function scheduleAsResque(deps: ScheduleWriteDeps, jobs: readonly ScheduledJob[]): Promise<void> {
  const { keys, scripts, maxArgs } = deps;
  const now = Date.now();
  const pairs: (string | number)[] = [];
  for (const job of jobs) pairs.push(Math.max(0, Math.floor(job.runAt - now)), resqueSchedulerItem(job.queue, job.payload));
  for (let i = 0; i < pairs.length; i += maxArgs) {
    await scripts['schedule-resque']([keys.delayedSchedule], [`${keys.namespace}:`, keys.wakeChannel, ...pairs.slice(i, i + maxArgs)]);
  }
}
