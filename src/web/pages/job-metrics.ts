// Metrics: per job class over the last hour, 8 hours or day (as Sidekiq's Metrics page): runs,
// failed attempts, total and mean execution time, a duration histogram, and runs over time. The
// counts come from AdminStore.jobMetrics (written by settle, read from at most 144 slots); bars
// are spans with a height class from app.css, so the page needs no inline style or script.

import { BUCKET_BOUNDS_MS, METRIC_WINDOWS, type ClassMetrics, type MetricWindow } from '../../storage/job-metrics.ts';
import type { AdminStore } from '../../storage/types.ts';
import { html, type SafeHtml } from '../html.ts';
import { clip, compact, href, timeTag } from '../format.ts';
import { layout, type PageContext } from '../layout.ts';

const WINDOW_LABELS: Record<MetricWindow, string> = { 60: '1 h', 480: '8 h', 1_440: '24 h' };

/** 12 ms, 1.2 s, 3.5 min. */
export function duration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1_000) return `${compact(ms)} ms`;
  if (ms < 60_000) return `${compact(ms / 1000)} s`;
  if (ms < 7_200_000) return `${compact(ms / 60_000)} min`;
  return `${compact(ms / 3_600_000)} h`;
}

const bucketLabel = (i: number) => (BUCKET_BOUNDS_MS[i] === Infinity ? `> ${duration(BUCKET_BOUNDS_MS[i - 1]!)}` : `≤ ${duration(BUCKET_BOUNDS_MS[i]!)}`);

/** Bars of `counts`, each a height step 0–10 of the largest (a non-zero count shows at least step 1). */
function bars(counts: readonly number[], label: (i: number, n: number) => string, kind: string): SafeHtml {
  const max = Math.max(1, ...counts);
  return html`<span class="bars ${kind}">${counts.map((n, i) => html`<span class="bar h${n === 0 ? 0 : Math.max(1, Math.round((n / max) * 10))}" title="${label(i, n)}"></span>`)}</span>`;
}

function classRow(m: ClassMetrics, slotMs: number, from: number): SafeHtml {
  const failedShare = m.runs > 0 ? ` (${Math.round((m.failures / m.runs) * 100)} %)` : '';
  const slotLabel = (i: number, n: number) => `${new Date(from + i * slotMs).toISOString().slice(11, 16)} UTC: ${n} ${n === 1 ? 'run' : 'runs'}`;
  return html`<tr><td>${clip(m.jobClass, 120)}</td><td class="num" title="${String(m.runs)}">${compact(m.runs)}</td><td class="num">${compact(m.failures)}${failedShare}</td><td class="num">${duration(m.totalMs)}</td><td class="num">${duration(m.meanMs)}</td>
<td>${bars(m.buckets, (i, n) => `${bucketLabel(i)}: ${n}`, 'histogram')}</td><td>${bars(m.series, slotLabel, 'series')}</td></tr>`;
}

export async function metricsPage(ctx: PageContext, admin: AdminStore, window: MetricWindow): Promise<SafeHtml> {
  const metrics = await admin.jobMetrics(window);
  const choices = (Object.keys(METRIC_WINDOWS).map(Number) as MetricWindow[]).map((w) =>
    html`<a href="${href(ctx.base, ['job-metrics'], { window: w })}"${w === window ? html` aria-current="page"` : ''}>${WINDOW_LABELS[w]}</a>`);
  const table = metrics.classes.length === 0
    ? html`<p class="empty">No job ran in this window (errand's workers count what they run; Ruby Resque workers count nothing here).</p>`
    : html`<div class="scroll"><table><thead><tr><th>Job class</th><th class="num">Runs</th><th class="num">Failed</th><th class="num">Total time</th><th class="num">Mean</th><th>Durations (${bucketLabel(0)} … ${bucketLabel(BUCKET_BOUNDS_MS.length - 1)})</th><th>Runs over time</th></tr></thead>
<tbody>${metrics.classes.map((m) => classRow(m, metrics.slotMs, metrics.from))}</tbody></table></div>`;
  return layout(ctx, 'job-metrics', 'Job metrics', html`<section class="panel"><div class="panel-head"><span>Per job class since ${timeTag(metrics.from)}, in ${duration(metrics.slotMs)} slots</span><nav class="windows">${choices}</nav></div>
${table}<p class="muted small">Failed counts every failed attempt, retried or not. Bars: hover for the counts.</p></section>`);
}
