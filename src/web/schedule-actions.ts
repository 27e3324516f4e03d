// The Schedules page's mutations: run a schedule now, pause it, resume it, through the store's
// ScheduleStore exactly as `errand schedules run|pause|resume` does (src/cli/schedules.ts), so a
// run from the dashboard is a normal run (it counts as the schedule's last run; ticks go on).
// Each returns a notice code for the redirect; no request text is reflected.

import type { ScheduleStore } from '../storage/schedule-types.ts';
import { runScheduleNow } from '../scheduler/declared.ts';
import { BadInput, LIMITS } from './inputs.ts';
import type { Done } from './actions.ts';

/** A schedule name from a form: text, length-capped. */
export function scheduleNameOf(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > LIMITS.maxName) throw new BadInput(`a schedule name must have 1 to ${LIMITS.maxName} characters`);
  return value;
}

export async function runSchedule(schedules: ScheduleStore, name: string): Promise<Done> {
  return (await runScheduleNow(schedules, name)) ? { notice: 'schedule-ran' } : { notice: 'no-schedule' };
}

export async function pauseSchedule(schedules: ScheduleStore, name: string, paused: boolean): Promise<Done> {
  if (!(await schedules.setPaused(name, paused))) return { notice: 'no-schedule' };
  return { notice: paused ? 'schedule-paused' : 'schedule-resumed' };
}
