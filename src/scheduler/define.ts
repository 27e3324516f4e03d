// defineSchedule(): a recurring run of a job, declared in code next to the jobs. The args are
// typed against the job's perform like any enqueue and checked for JSON safety here, so a bad
// schedule fails the load, not a tick at 3 am. Lifecycle: a definition is plain data; workers
// given it (errand.worker({ schedules }), or `errand work` for the ones a --require file
// exports) run it. Invariant: a schedule is known by its name; the store keys its state by it.

import { ConfigError } from '../errors.ts';
import { specOf, type AnyJob, type JobArgs, type JobSpec } from '../job/define.ts';
import { toMs, type Duration } from '../job/duration.ts';
import { assertJsonSafe } from '../job/json-safe.ts';
import { cronTicks, everyTicks, type Ticks } from './ticks.ts';

const SCHEDULE_NAME = /^[A-Za-z0-9_.:\-]{1,128}$/;

type ArgsField<J extends AnyJob> = [] extends JobArgs<J> ? { args?: JobArgs<J> } : { args: JobArgs<J> };

export type ScheduleOptions<J extends AnyJob> = {
  /** The schedule's identity in the store: keep it when editing the timing, and no tick fires twice. */
  name: string;
  /** A cron expression (5 fields, or 6 with seconds first; L, W, #, @daily...), or `every`. */
  cron?: string;
  /** An interval ('15m', '1h', ms): ticks at its multiples since the epoch. */
  every?: Duration;
  /** IANA zone for `cron` (default: the process's zone). */
  timezone?: string;
  job: J;
  /** Run ticks missed while no process was running, up to this far back (default: skip them). */
  catchUp?: Duration;
  /** false: skip a tick while the previous run still waits in its queue or runs (default true). */
  overlap?: boolean;
} & ArgsField<J>;

export interface ScheduleDefinition {
  readonly kind: 'errand-schedule';
  readonly name: string;
  readonly cron: string | undefined;
  readonly every: number | undefined;
  readonly timezone: string | undefined;
  readonly job: JobSpec;
  readonly args: readonly unknown[];
  readonly argsJson: string;
  readonly catchUpMs: number;
  readonly overlap: boolean;
  readonly ticks: Ticks;
  /** What the store keeps, for `errand schedules` (which has no code loaded). */
  readonly definitionJson: string;
}

export function defineSchedule<J extends AnyJob>(options: ScheduleOptions<J>): ScheduleDefinition {
  const name = options?.name;
  if (typeof name !== 'string' || !SCHEDULE_NAME.test(name)) {
    throw new ConfigError(`schedule name ${JSON.stringify(name)} is not valid: use 1-128 letters, digits, '_', '-', '.' or ':'`);
  }
  if ((options.cron === undefined) === (options.every === undefined)) throw new ConfigError(`schedule ${name} needs exactly one of cron and every`);
  if (options.job === undefined) throw new ConfigError(`schedule ${name} needs a job (a defineJob() value or a class with static perform)`);
  const job = specOf(options.job);
  const args = (options as { args?: unknown }).args ?? [];
  if (!Array.isArray(args)) throw new ConfigError(`schedule ${name}: args must be an array of the job's arguments, e.g. args: [42]`);
  for (let i = 0; i < args.length; i++) assertJsonSafe(args[i], i);
  let ticks: Ticks;
  let every: number | undefined;
  if (options.cron !== undefined) {
    if (typeof options.cron !== 'string') throw new ConfigError(`schedule ${name}: cron must be a string such as '0 3 * * *'`);
    ticks = cronTicks(name, options.cron, options.timezone);
  } else {
    if (options.timezone !== undefined) throw new ConfigError(`schedule ${name}: timezone applies to cron, not to every`);
    every = toMs(options.every!, `schedule ${name} every`);
    if (every < 1_000) throw new ConfigError(`schedule ${name}: every must be at least 1s, got ${every} ms`);
    ticks = everyTicks(every);
  }
  const catchUpMs = options.catchUp === undefined ? 0 : toMs(options.catchUp, `schedule ${name} catchUp`);
  if (options.overlap !== undefined && typeof options.overlap !== 'boolean') throw new ConfigError(`schedule ${name}: overlap must be true or false`);
  const overlap = options.overlap ?? true;
  const argsJson = JSON.stringify(args);
  const definitionJson = JSON.stringify({ cron: options.cron, every, timezone: options.timezone, job: job.name, queue: job.queue, args, catchUpMs, overlap });
  return Object.freeze({
    kind: 'errand-schedule' as const, name, cron: options.cron, every, timezone: options.timezone, job, args, argsJson, catchUpMs, overlap, ticks, definitionJson,
  });
}

/** True for values defineSchedule returned: how `errand work` finds schedules among a module's exports. */
export function isSchedule(value: unknown): value is ScheduleDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'errand-schedule';
}

/** Refuses two different schedules under one name in one worker (they would share one cursor). */
export function checkUnique(schedules: readonly ScheduleDefinition[]): ScheduleDefinition[] {
  const byName = new Map<string, ScheduleDefinition>();
  for (const schedule of schedules) {
    const seen = byName.get(schedule.name);
    if (seen && seen !== schedule) throw new ConfigError(`two schedules are named ${schedule.name}: a name is a schedule's identity in the store`);
    byName.set(schedule.name, schedule);
  }
  return [...byName.values()];
}
