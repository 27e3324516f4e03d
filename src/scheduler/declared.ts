// What the operator side (`errand schedules`, the dashboard's Schedules page) knows of a schedule
// without its code: the definition a running process declared in the store, the next tick computed
// from it, and a run enqueued now. One place, so the CLI and the dashboard cannot drift apart.

import { randomUUID } from 'node:crypto';
import { encodeScheduledRun } from '../job/payload.ts';
import type { ScheduleState, ScheduleStore } from '../storage/schedule-types.ts';
import { cronTicks, everyTicks } from './ticks.ts';

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

/** The next tick after now and the cursor (client clock: for display). */
export function nextRun(def: Definition | undefined, state: ScheduleState, now: number): number | undefined {
  if (!def) return undefined;
  try {
    const ticks = def.cron !== undefined ? cronTicks(state.name, def.cron, def.timezone) : everyTicks(def.every!);
    return ticks.next(Math.max(now, state.cursor ?? -Infinity));
  } catch {
    return undefined;
  }
}

/**
 * Enqueues a run of `name` now, as its declared definition says (it counts as the schedule's last
 * run; the ticks go on). Undefined when no process declared such a schedule.
 */
export async function runScheduleNow(schedules: ScheduleStore, name: string): Promise<{ id: string; def: Definition } | undefined> {
  const state = (await schedules.list()).find((s) => s.name === name);
  const def = state && definitionOf(state);
  if (!def) return undefined;
  const id = randomUUID();
  const now = Date.now();
  await schedules.runNow(name, def.queue, encodeScheduledRun(def.job, JSON.stringify(def.args ?? []), id, def.queue, now, { name, tick: now, caughtUp: false }), id);
  return { id, def };
}
