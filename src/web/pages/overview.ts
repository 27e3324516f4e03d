// Overview: totals, the jobs/s chart (drawn by app.js from stats.json: the last hour from the
// per-minute job metrics on its first poll, then live points every 3 s), queues with size,
// latency and recent throughput, workers busy and idle, and the pause-all toggle.

import type { AdminStore, QueueStats, Stats } from '../../storage/types.ts';
import type { JobMetrics } from '../../storage/job-metrics.ts';
import { THROUGHPUT_MINUTES } from '../../storage/throughput.ts';
import { html, type SafeHtml } from '../html.ts';
import { ageMs, clip, compact, href } from '../format.ts';
import { action, layout, type PageContext } from '../layout.ts';

export function isBusy(worker: Stats['workers'][number]): boolean {
  return worker.inFlight > 0 || Boolean(worker.workingOn);
}

export function queueTable(ctx: PageContext, queues: readonly QueueStats[], now: number): SafeHtml {
  if (queues.length === 0) return html`<p class="empty">No queues yet.</p>`;
  return html`<div class="scroll"><table><thead><tr><th>Queue</th><th class="num">Waiting</th><th class="num">Latency</th><th class="num">Done in ${THROUGHPUT_MINUTES} min</th></tr></thead><tbody>${queues.map((q) =>
    html`<tr><td><a href="${href(ctx.base, ['queues', q.name])}">${clip(q.name, 200)}</a>${q.paused ? html` <span class="badge warn">paused</span>` : ''}</td><td class="num" title="${String(q.size)}">${compact(q.size)}</td><td class="num">${q.size > 0 && q.oldestEnqueuedAt !== undefined ? ageMs(now - q.oldestEnqueuedAt) : '-'}</td><td class="num">${compact(q.recentlyDone)}</td></tr>`)}</tbody></table></div>`;
}

/** The figures stats.json gives the chart and the cards: small, no lists. */
export function liveFigures(stats: Stats, now: number) {
  const busy = stats.workers.filter(isBusy).length;
  return {
    at: now, processed: stats.processed, failed: stats.failed, waiting: stats.queues.reduce((n, q) => n + q.size, 0),
    scheduled: stats.scheduled, failedCount: stats.failedCount, workers: stats.workers.length, busy, paused: stats.paused,
  };
}

/**
 * Attempts per second for each minute of the last hour, oldest first, from the per-class job
 * metrics (the only per-minute counts kept an hour; per-queue throughput is kept ten minutes).
 * `at` is the end of the minute, or now for the current one, whose rate counts only the part
 * elapsed so far. Ruby Resque workers count nothing there, so their jobs are not in it.
 */
export function rateHistory(metrics: JobMetrics, now: number): { at: number; rate: number }[] {
  const runs: number[] = [];
  for (const c of metrics.classes) c.series.forEach((n, i) => { runs[i] = (runs[i] ?? 0) + n; });
  const slots = Math.ceil((metrics.windowMinutes * 60_000) / metrics.slotMs);
  const points: { at: number; rate: number }[] = [];
  for (let i = 0; i < slots; i++) {
    const start = metrics.from + i * metrics.slotMs;
    const at = Math.min(start + metrics.slotMs, now);
    // A minute only just begun is read over at least a second, so a few jobs do not spike it.
    points.push({ at, rate: (runs[i] ?? 0) / Math.max(1, (at - start) / 1000) });
  }
  return points;
}

export async function overviewPage(ctx: PageContext, admin: AdminStore): Promise<SafeHtml> {
  const stats = await admin.stats();
  const now = Date.now();
  const f = liveFigures(stats, now);
  const card = (key: string, label: string, value: number, link?: string) =>
    html`<div class="card"><span class="label">${label}</span><span class="value" data-figure="${key}" title="${String(value)}">${link ? html`<a href="${link}">${compact(value)}</a>` : compact(value)}</span></div>`;
  return layout(ctx, '', 'Overview', html`
<section class="cards">${card('processed', 'Processed', f.processed)}${card('failed', 'Failed attempts', f.failed)}${card('waiting', 'Waiting', f.waiting, href(ctx.base, ['queues']))}${card('scheduled', 'Scheduled', f.scheduled, href(ctx.base, ['scheduled']))}${card('failedCount', 'In failed list', f.failedCount, href(ctx.base, ['failed']))}${card('busy', 'Workers busy', f.busy, href(ctx.base, ['workers']))}${card('workers', 'Workers', f.workers, href(ctx.base, ['workers']))}</section>
<section class="panel"><div class="panel-head"><h2>Jobs per second</h2><span class="muted" id="chart-rate" aria-live="polite"></span><button type="button" id="chart-toggle" aria-pressed="false">Pause</button></div>
<svg id="chart" data-src="${href(ctx.base, ['stats.json'])}" viewBox="0 0 600 160" preserveAspectRatio="none" role="img" aria-label="jobs per second over the last hour"></svg>
<p class="muted small">The last hour per minute from the job metrics (attempts run by errand workers), then live from the processed counter every 3 s while this page is open (the cards follow; the tables are as of loading).</p></section>
<section class="panel"><div class="panel-head"><h2>Workers</h2>${stats.paused ? html`<span class="badge warn">all workers paused</span>` : html`<span class="badge ok">running</span>`}
${stats.paused ? action(ctx, ['pause'], { paused: '0' }, 'Resume all workers') : action(ctx, ['pause'], { paused: '1' }, 'Pause all workers', 'danger')}</div>
<p>${compact(f.busy)} busy, ${compact(f.workers - f.busy)} idle. Pausing sets Resque's <code>pause-all-workers</code>: errand and Ruby Resque workers stop taking jobs until it is cleared.</p></section>
<section class="panel"><h2>Queues</h2>${queueTable(ctx, stats.queues, now)}</section>`);
}
