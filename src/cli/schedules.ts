// `errand schedules`: the recurring schedules the store knows (declared by running workers), with
// their next and last run; `run NAME` enqueues a run now; `pause NAME` / `resume NAME` change the
// state every process reads at its next tick. Reads definitions from the store, so no job code
// is loaded here.

import { ConfigError } from '../errors.ts';
import type { ScheduleState } from '../storage/schedule-types.ts';
import { definitionOf, nextRun, runScheduleNow } from '../scheduler/declared.ts';
import { errandFrom, listOrAction, UsageError, STORE_HELP } from './shared.ts';

export const help = `Usage: errand schedules [list | run NAME | pause NAME | resume NAME] [--json]

  list          every schedule a worker declared: timing, next run, last run (its time and job
                id), the last tick's outcome, paused. The outcome is what the tick's claim did
                (enqueued, caught-up, missed, overlap, paused), not whether the job succeeded:
                look the job up by its id (the dashboard's job page) for that
  run NAME      enqueue a run of NAME now (it counts as its last run; the ticks go on as before)
  pause NAME    skip NAME's ticks until resumed (kept in the store: every process obeys)
  resume NAME   run NAME's ticks again from the next one (ticks skipped while paused do not run)
  --json        print the list as JSON
${STORE_HELP}`;

const at = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

export function formatSchedules(states: readonly ScheduleState[], now = Date.now()): string {
  if (states.length === 0) return '(no schedules: a worker declares its schedules when it starts)';
  return states.map((state) => {
    const def = definitionOf(state);
    const timing = def ? (def.cron !== undefined ? `cron ${def.cron}${def.timezone ? ` ${def.timezone}` : ''}` : `every ${def.every} ms`) : '?';
    return [
      `${state.name}${state.paused ? '  PAUSED' : ''}`,
      `  ${timing} -> ${def?.job ?? '?'} on ${def?.queue ?? '?'}`,
      `  next ${state.paused ? '(paused)' : at(nextRun(def, state, now))}   last run ${at(state.lastRunAt)}${state.lastJobId ? ` (job ${state.lastJobId})` : ''}`,
      // The claim's result, not the job's: a run that then failed still reads "enqueued".
      `  last tick ${state.lastOutcome ?? '-'} (what the claim did, not how the job ended)`,
      `  last declared or claimed ${at(state.seenAt)}`,
    ].join('\n');
  }).join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const parsed = listOrAction(argv, help, 'schedules', 'schedule');
  if (!parsed) return 0;
  const { values, action, name } = parsed;
  const errand = errandFrom(values);
  try {
    const schedules = (await errand.store()).schedules();
    switch (action) {
      case 'list': {
        const states = await schedules.list();
        process.stdout.write(`${values.json ? JSON.stringify(states.map((s) => ({ ...s, nextRun: nextRun(definitionOf(s), s, Date.now()) })), null, 2) : formatSchedules(states)}\n`);
        return 0;
      }
      case 'pause':
      case 'resume':
        if (!(await schedules.setPaused(name!, action === 'pause'))) throw new ConfigError(`no schedule named ${name} (errand schedules lists them)`);
        process.stdout.write(`${name} ${action === 'pause' ? 'paused' : 'resumed'}\n`);
        return 0;
      case 'run': {
        const ran = await runScheduleNow(schedules, name!);
        if (!ran) throw new ConfigError(`no schedule named ${name} (errand schedules lists them)`);
        process.stdout.write(`enqueued ${ran.def.job} on ${ran.def.queue} (id ${ran.id})\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown schedules action "${action}": list, run, pause or resume`);
    }
  } finally {
    await errand.close();
  }
}
