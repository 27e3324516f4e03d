// The Schedules page's mutations: run a schedule now, pause it, resume it, through the store's
// ScheduleStore exactly as `errand schedules run|pause|resume` does (src/cli/schedules.ts), so a
// run from the dashboard is a normal run (it counts as the schedule's last run; ticks go on).
// Each returns a notice code for the redirect; no request text is reflected.

import { randomUUID } from 'node:crypto';
import { encodeScheduledRun } from '../job/payload.ts';
import type { ScheduleState, ScheduleStore } from '../storage/schedule-types.ts';
import { cronTicks, everyTicks } from '../scheduler/ticks.ts';
import { BadInput, LIMITS } from './inputs.ts';
import type { Done } from './actions.ts';

export interface Definition { cron?: string; every?: number; timezone?: string; job: string; queue: string; args: unknown[] }

/** The definition a process declared (JSON), or undefined when none did or it does not parse. */
export function definitionOf(state: ScheduleState): Definition | undefined {
  try {
    const def = state.definition ? (JSON.parse(state.definition) as Definition) : undefined;
    return def && typeof def === 'object' && typeof def.job === 'string' && typeof def.queue === 'string' ? def : undefined;
  } catch {
    return undefined;
  }
}

/** The next tick after now and the cursor, as `errand schedules` computes it (client clock). */
export function nextRun(def: Definition | undefined, state: ScheduleState, now: number): number | undefined {
  if (!def) return undefined;
  try {
    const ticks = def.cron !== undefined ? cronTicks(state.name, def.cron, def.timezone) : everyTicks(def.every!);
    return ticks.next(Math.max(now, state.cursor ?? -Infinity));
  } catch {
    return undefined;
  }
}

/** A schedule name from a form: text, length-capped. */
export function scheduleNameOf(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > LIMITS.maxName) throw new BadInput(`a schedule name must have 1 to ${LIMITS.maxName} characters`);
  return value;
}

export async function runSchedule(schedules: ScheduleStore, name: string): Promise<Done> {
  const state = (await schedules.list()).find((s) => s.name === name);
  const def = state && definitionOf(state);
  if (!def) return { notice: 'no-schedule' };
  const id = randomUUID();
  const now = Date.now();
  await schedules.runNow(name, def.queue, encodeScheduledRun(def.job, JSON.stringify(def.args ?? []), id, def.queue, now, { name, tick: now, caughtUp: false }), id);
  return { notice: 'schedule-ran' };
}

export async function pauseSchedule(schedules: ScheduleStore, name: string, paused: boolean): Promise<Done> {
  if (!(await schedules.setPaused(name, paused))) return { notice: 'no-schedule' };
  return { notice: paused ? 'schedule-paused' : 'schedule-resumed' };
}
