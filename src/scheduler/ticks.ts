// When a schedule's ticks fall: cron expressions through croner (seconds field, L/W/#,
// nicknames, IANA time zones), `every` as multiples of its interval since the epoch, so every
// process, whenever it started, computes the same ticks. Pure functions of the definition and
// a time; the store, not this file, decides whether a tick is due.
//
// DST, as croner does it and errand documents it: a wall time that does not exist (spring
// forward) fires at the first valid time after the gap (02:30 on a skipped hour fires at 03:00);
// a wall time that happens twice (fall back) fires once, at its first occurrence, for a cron
// with a fixed hour; a cron that fires every hour or more often keeps firing in each real hour.

import { Cron } from 'croner';
import { ConfigError } from '../errors.ts';
import { defaults } from '../defaults.ts';

export interface Ticks {
  /** The first tick strictly after `after` (epoch ms), or undefined when there is none (a cron that never matches again). */
  next(after: number): number | undefined;
}

export function cronTicks(name: string, pattern: string, timezone: string | undefined): Ticks {
  let cron: Cron;
  try {
    cron = new Cron(pattern, { timezone, paused: true });
    cron.nextRun(new Date(0)); // an unknown time zone only throws when a date is computed
  } catch (error) {
    throw new ConfigError(`schedule ${name}: ${JSON.stringify(pattern)}${timezone ? ` in ${timezone}` : ''} is not a valid cron: ${(error as Error).message}`);
  }
  return { next: (after) => cron.nextRun(new Date(after))?.getTime() };
}

export function everyTicks(intervalMs: number): Ticks {
  return { next: (after) => (Math.floor(after / intervalMs) + 1) * intervalMs };
}

/** A tick stays on time until the next one, and at most defaults.scheduleOnTimeMs: later it is late (missed, or caught up). */
export function onTimeMs(ticks: Ticks, tick: number): number {
  const next = ticks.next(tick);
  return Math.min(next === undefined ? Infinity : next - tick, defaults.scheduleOnTimeMs);
}
