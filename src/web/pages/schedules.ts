// Schedules: every recurring schedule a worker declared (Store.schedules().list(), one record per
// name, so the list is as long as the app's schedule definitions, not its jobs): timing, the job
// and queue it enqueues, next run, last run, the last tick's outcome, paused; run now, pause,
// resume. Names and definitions come from code but are shown as data (escaped like the rest).

import type { ScheduleStore } from '../../storage/schedule-types.ts';
import { html, type SafeHtml } from '../html.ts';
import { clip, compact, timeTag } from '../format.ts';
import { action, layout, type PageContext } from '../layout.ts';
import { definitionOf, nextRun } from '../../scheduler/declared.ts';
import { jobLink } from './job.ts';

export async function schedulesPage(ctx: PageContext, schedules: ScheduleStore | undefined): Promise<SafeHtml> {
  if (!schedules) return layout(ctx, 'schedules', 'Schedules', html`<section class="panel"><p class="empty">Schedules need the store itself: give createDashboard an errand or a store, not only its admin side.</p></section>`);
  const states = await schedules.list();
  const now = Date.now();
  const rows = states.map((state) => {
    const def = definitionOf(state);
    const timing = def ? (def.cron !== undefined ? html`cron <code>${clip(def.cron, 80)}</code>${def.timezone ? html` ${clip(def.timezone, 60)}` : ''}` : html`every ${compact((def.every ?? 0) / 1000)} s`) : html`<span class="muted">no definition</span>`;
    const next = state.paused ? html`<span class="muted">(paused)</span>` : timeTag(nextRun(def, state, now));
    const toggle = state.paused ? action(ctx, ['schedules', 'resume'], { name: state.name }, 'Resume') : action(ctx, ['schedules', 'pause'], { name: state.name }, 'Pause', 'danger');
    return html`<tr><td>${clip(state.name, 200)}${state.paused ? html` <span class="badge warn">paused</span>` : ''}</td><td>${timing}</td><td>${def ? html`${clip(def.job, 80)} <span class="muted">on</span> ${clip(def.queue, 60)}` : '-'}</td><td>${next}</td><td>${timeTag(state.lastRunAt)}${state.lastJobId ? html` ${jobLink(ctx, state.lastJobId, 12)}` : ''}</td><td>${state.lastOutcome ? clip(state.lastOutcome, 40) : html`<span class="muted">-</span>`}</td><td class="actions">${def ? action(ctx, ['schedules', 'run'], { name: state.name }, 'Run now') : ''}${toggle}</td></tr>`;
  });
  return layout(ctx, 'schedules', 'Schedules', html`<section class="panel"><div class="panel-head"><span>${compact(states.length)} ${states.length === 1 ? 'schedule' : 'schedules'} (declared by the workers that define them)</span></div>
${states.length === 0 ? html`<p class="empty">No schedules: a worker declares its schedules when it starts.</p>` : html`<div class="scroll"><table><thead><tr><th>Name</th><th>Timing</th><th>Enqueues</th><th>Next run</th><th>Last run</th><th>Last tick</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`}
<p class="muted small">Next runs are computed here from the definition; the store's clock decides when a tick is due. Run now enqueues one run at once (it counts as the last run); ticks skipped while paused do not run later. Last tick is what the tick's claim did (enqueued, caught-up, missed, overlap, paused), not whether its job succeeded: the last run's job link shows that.</p></section>`);
}
