// When a schedule's ticks fall: cron expressions through croner (seconds field, L/W/#,
// nicknames, IANA time zones), `every` as multiples of its interval since the epoch, so every
// process, whenever it started, computes the same ticks. Pure functions of the definition and
// a time; the store, not this file, decides whether a tick is due.
//
// DST, one rule for every cron whose hour field leaves out some hours (fixed hour, list, range
// or step alike): a wall time that does not exist (spring forward) is moved to the end of the
// gap (02:30 on the skipped night fires at 03:00, once however many skipped times matched); a
// wall time that happens twice (fall back) fires once, at its first occurrence. croner alone
// does that only for a single fixed hour, so these crons are matched on the wall clock (croner
// in UTC) and placed in the zone here. A cron whose hour field matches all 24 hours ('*',
// '0-23') is hourly: it fires in every real hour, so both 01:30s of a fall-back night (an hour
// apart) and nothing for the hour that does not exist in spring; croner in the zone does that.

import { Cron, CronPattern } from 'croner';
import { ConfigError } from '../errors.ts';
import { defaults } from '../defaults.ts';
import { placeWall, wallAt } from './wall-clock.ts';

export interface Ticks {
  /** The first tick strictly after `after` (epoch ms), or undefined when there is none (a cron that never matches again). */
  next(after: number): number | undefined;
}

export function cronTicks(name: string, pattern: string, timezone: string | undefined): Ticks {
  let zoned: Cron;
  let wall: Cron;
  let hourly: boolean;
  try {
    zoned = new Cron(pattern, { timezone, paused: true });
    zoned.nextRun(new Date(0)); // an unknown time zone only throws when a date is computed
    wall = new Cron(pattern, { utcOffset: 0, paused: true });
    hourly = new CronPattern(pattern).hour.every(Boolean);
  } catch (error) {
    throw new ConfigError(`schedule ${name}: ${JSON.stringify(pattern)}${timezone ? ` in ${timezone}` : ''} is not a valid cron: ${(error as Error).message}`);
  }
  if (hourly) return { next: (after) => zoned.nextRun(new Date(after))?.getTime() };
  const zone = timezone ?? new Intl.DateTimeFormat().resolvedOptions().timeZone;
  return {
    next(after) {
      // Walk the wall clock from the one shown at `after`. Past a fall-back the clock shows an
      // hour again: a match there is placed at its first occurrence, which is not after
      // `after` (it already fired), so the walk goes on past it.
      let shown = wallAt(zone, after);
      for (;;) {
        const match = wall.nextRun(new Date(shown))?.getTime();
        if (match === undefined) return undefined;
        const at = placeWall(zone, match);
        if (at > after) return at;
        shown = match;
      }
    },
  };
}

export function everyTicks(intervalMs: number): Ticks {
  return { next: (after) => (Math.floor(after / intervalMs) + 1) * intervalMs };
}

/** A tick stays on time until the next one, and at most defaults.scheduleOnTimeMs: later it is late (missed, or caught up). */
export function onTimeMs(ticks: Ticks, tick: number): number {
  const next = ticks.next(tick);
  return Math.min(next === undefined ? Infinity : next - tick, defaults.scheduleOnTimeMs);
}
