// Failed: the failed list newest first (class, queue, error, time, attempts), a failure's detail
// (every attempt's error, the backtrace, the payload), retry or remove one, and retry or remove
// all that match a filter (done in the store in one pass). A filtered view searches the newest
// SCAN_LIMIT entries only, so a page never reads the whole list; the bulk actions cover all.

import type { AdminStore, FailedEntry, FailedFilter } from '../../storage/types.ts';
import { html, type SafeHtml } from '../html.ts';
import { clip, compact, href, pretty, refOf, timeTag } from '../format.ts';
import { action, layout, pager, type PageContext } from '../layout.ts';
import { jobLink } from './job.ts';

export const SCAN_LIMIT = 2_000;

interface Failure { readonly id: unknown; readonly cls: unknown; readonly queue: unknown; readonly exception: unknown; readonly error: unknown; readonly at: unknown; readonly attempts: number }

function describe(entry: FailedEntry): Failure {
  const e = entry.entry ?? {};
  const payload = (e.payload && typeof e.payload === 'object' ? e.payload : {}) as Record<string, unknown>;
  const attempt = typeof payload.attempt === 'number' ? payload.attempt : Array.isArray(payload.errors) ? payload.errors.length + 1 : 1;
  return { id: payload.id, cls: payload.class, queue: e.queue, exception: e.exception, error: e.error, at: e.failed_at, attempts: attempt };
}

/** The store's filter rules (see FailedFilter), for the filtered view. */
export function matches(entry: FailedEntry, filter: FailedFilter): boolean {
  if (!filter.class && !filter.queue && !filter.error) return true;
  if (!entry.entry) return false;
  const f = describe(entry);
  if (filter.class && f.cls !== filter.class) return false;
  if (filter.queue && f.queue !== filter.queue) return false;
  if (filter.error && !(typeof f.exception === 'string' && f.exception.includes(filter.error)) && !(typeof f.error === 'string' && f.error.includes(filter.error))) return false;
  return true;
}

async function newestMatching(admin: AdminStore, total: number, filter: FailedFilter, page: number, size: number): Promise<FailedEntry[]> {
  const found: FailedEntry[] = [];
  for (let end = total; end > Math.max(0, total - SCAN_LIMIT) && found.length < (page + 1) * size; end -= 500) {
    const start = Math.max(0, end - 500, total - SCAN_LIMIT);
    found.push(...(await admin.failed(start, end - start)).reverse().filter((e) => matches(e, filter)));
  }
  return found.slice(page * size, (page + 1) * size);
}

export async function failedPage(ctx: PageContext, admin: AdminStore, filter: FailedFilter, page: number, size: number): Promise<SafeHtml> {
  const total = await admin.failedCount();
  const filtered = Boolean(filter.class || filter.queue || filter.error);
  let entries: FailedEntry[];
  if (filtered) entries = await newestMatching(admin, total, filter, page, size);
  else {
    const end = total - page * size;
    const start = Math.max(0, end - size);
    entries = end > 0 ? (await admin.failed(start, end - start)).reverse() : [];
  }
  const fields = { class: filter.class, queue: filter.queue, error: filter.error };
  const scope = filtered ? 'matching' : 'all';
  const rows = entries.map((entry) => {
    const f = describe(entry);
    const ref = refOf(entry.raw);
    return html`<tr><td>${timeTag(typeof f.at === 'string' ? f.at : undefined)}</td><td><a href="${href(ctx.base, ['failed', entry.index], { ref })}">${entry.entry ? clip(f.cls, 80) : '(not JSON)'}</a></td><td>${clip(f.queue, 60)}</td><td><strong>${clip(f.exception, 60)}</strong> ${clip(f.error, 140)}</td><td class="num">${f.attempts}</td><td>${jobLink(ctx, f.id, 12)}</td><td class="actions">${entry.entry ? action(ctx, ['failed', 'retry'], { i: entry.index, ref }, 'Retry') : ''}${action(ctx, ['failed', 'remove'], { i: entry.index, ref }, 'Remove', 'danger')}</td></tr>`;
  });
  return layout(ctx, 'failed', 'Failed', html`
<section class="panel"><form method="get" action="${href(ctx.base, ['failed'])}" class="filter"><label>Class <input name="class" maxlength="200" value="${filter.class ?? ''}"></label><label>Queue <input name="queue" maxlength="200" value="${filter.queue ?? ''}"></label><label>Error text <input name="error" maxlength="200" value="${filter.error ?? ''}"></label><button type="submit">Filter</button>${filtered ? html`<a href="${href(ctx.base, ['failed'])}">Clear filter</a>` : ''}</form>
<div class="panel-head"><span>${compact(total)} in the failed list${filtered ? html`; showing matches among the newest ${compact(Math.min(total, SCAN_LIMIT))}` : ''}</span>${total > 0 ? html`${action(ctx, ['failed', 'retry-all'], fields, `Retry ${scope}`)}${action(ctx, ['failed', 'remove-all'], fields, `Remove ${scope}`, 'danger')}` : ''}</div>
${entries.length === 0 ? html`<p class="empty">${filtered ? 'No failures match.' : 'No failures.'}</p>` : html`<div class="scroll"><table><thead><tr><th>Failed at</th><th>Class</th><th>Queue</th><th>Error</th><th class="num">Attempts</th><th>Id</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`}
${filtered ? '' : pager(ctx, ['failed'], page, size, total)}</section>`);
}

export async function failureDetailPage(ctx: PageContext, admin: AdminStore, index: number, ref: string): Promise<SafeHtml | undefined> {
  const [entry] = await admin.failed(index, 1);
  if (!entry || refOf(entry.raw) !== ref) return undefined;
  const f = describe(entry);
  const e = entry.entry ?? {};
  const payload = (e.payload && typeof e.payload === 'object' ? e.payload : undefined) as Record<string, unknown> | undefined;
  const earlier = Array.isArray(payload?.errors) ? (payload!.errors as Record<string, unknown>[]) : [];
  const backtrace = Array.isArray(e.backtrace) ? e.backtrace.map(String).join('\n') : typeof e.backtrace === 'string' ? e.backtrace : '';
  return layout(ctx, 'failed', `Failure: ${clip(f.cls ?? '(not JSON)', 80)}`, html`
<section class="panel"><dl class="facts"><dt>Queue</dt><dd>${clip(f.queue, 200)}</dd><dt>Failed at</dt><dd>${timeTag(typeof f.at === 'string' ? f.at : undefined, false)}</dd><dt>Worker</dt><dd><code>${clip(e.worker, 200)}</code></dd><dt>Attempts</dt><dd>${f.attempts}</dd><dt>Job</dt><dd>${jobLink(ctx, f.id, 80)}</dd></dl>
<div class="panel-head">${entry.entry ? action(ctx, ['failed', 'retry'], { i: index, ref }, 'Retry') : ''}${action(ctx, ['failed', 'remove'], { i: index, ref }, 'Remove', 'danger')}</div></section>
<section class="panel"><h2>Attempts</h2><ol class="attempts">${earlier.map((a) => html`<li><strong>${clip(a.exception, 200)}</strong> ${clip(a.error, 2000)} <span class="muted">attempt ${clip(a.attempt, 10)}, ${timeTag(typeof a.at === 'string' ? a.at : undefined, false)}</span></li>`)}<li><strong>${clip(f.exception, 200)}</strong> ${clip(f.error, 2000)} <span class="muted">final</span></li></ol>
<h2>Backtrace</h2><pre>${backtrace ? clip(backtrace, 200_000) : '(none)'}</pre></section>
<section class="panel"><h2>Payload</h2><pre>${payload ? pretty(JSON.stringify(payload)) : pretty(entry.raw)}</pre></section>`);
}
