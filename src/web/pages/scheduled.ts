// Scheduled: delayed jobs and pending retries by due time, a page at a time; run one now or
// delete it; run or delete all that match a class and queue (done in the store in one pass).
// A filtered view searches the SCAN_LIMIT entries due first only, so a page never reads the
// whole set; the bulk actions cover all of it. Due times are the store's clock.

import type { AdminStore, ScheduledEntry, ScheduledFilter } from '../../storage/types.ts';
import { parseObject } from '../../storage/resque-format.ts';
import { html, type SafeHtml } from '../html.ts';
import { clip, compact, href, pretty, refOf, timeTag } from '../format.ts';
import { action, layout, pager, type PageContext } from '../layout.ts';
import { SCAN_LIMIT } from './failed.ts';
import { jobLink } from './job.ts';

/** The store's rules (see ScheduledFilter), for the filtered view. */
function matches(entry: ScheduledEntry, filter: ScheduledFilter): boolean {
  if (filter.queue && entry.queue !== filter.queue) return false;
  return !filter.class || parseObject(entry.payload)?.class === filter.class;
}

async function firstMatching(admin: AdminStore, total: number, filter: ScheduledFilter, page: number, size: number): Promise<ScheduledEntry[]> {
  const found: ScheduledEntry[] = [];
  for (let start = 0; start < Math.min(total, SCAN_LIMIT) && found.length < (page + 1) * size; start += 500) {
    found.push(...(await admin.scheduled(start, Math.min(500, SCAN_LIMIT - start))).filter((e) => matches(e, filter)));
  }
  return found.slice(page * size, (page + 1) * size);
}

export async function scheduledPage(ctx: PageContext, admin: AdminStore, filter: ScheduledFilter, page: number, size: number): Promise<SafeHtml> {
  const total = await admin.scheduledCount();
  const filtered = Boolean(filter.class || filter.queue);
  const entries = filtered ? await firstMatching(admin, total, filter, page, size) : await admin.scheduled(page * size, size);
  const rows = entries.map((entry) => {
    const job = parseObject(entry.payload);
    const ref = refOf(entry.key);
    const attempt = typeof job?.attempt === 'number' && job.attempt > 1 ? html`<span class="badge warn">retry ${job.attempt}</span>` : html`<span class="badge">delayed</span>`;
    return html`<tr><td>${timeTag(entry.runAt)}</td><td>${job ? clip(job.class, 80) : '(not JSON)'} ${attempt}</td><td>${clip(entry.queue, 60)}</td><td><code>${clip(job?.args, 100)}</code></td><td>${jobLink(ctx, job?.id)}</td><td class="actions">${action(ctx, ['scheduled', 'run'], { i: entry.index, ref }, 'Run now')}${action(ctx, ['scheduled', 'remove'], { i: entry.index, ref }, 'Delete', 'danger')}</td></tr>
<tr class="detail"><td></td><td colspan="5"><details><summary>payload</summary><pre>${pretty(entry.payload)}</pre></details></td></tr>`;
  });
  const fields = { class: filter.class, queue: filter.queue };
  const scope = filtered ? 'matching' : 'all';
  return layout(ctx, 'scheduled', 'Scheduled', html`<section class="panel"><form method="get" action="${href(ctx.base, ['scheduled'])}" class="filter"><label>Class <input name="class" maxlength="200" value="${filter.class ?? ''}"></label><label>Queue <input name="queue" maxlength="200" value="${filter.queue ?? ''}"></label><button type="submit">Filter</button>${filtered ? html`<a href="${href(ctx.base, ['scheduled'])}">Clear filter</a>` : ''}</form>
<div class="panel-head"><span>${compact(total)} scheduled (delayed jobs and retries)${filtered ? html`; showing matches among the ${compact(Math.min(total, SCAN_LIMIT))} due first` : ''}</span>${total > 0 ? html`${action(ctx, ['scheduled', 'run-all'], fields, `Run ${scope} now`)}${action(ctx, ['scheduled', 'remove-all'], fields, `Delete ${scope}`, 'danger')}` : ''}</div>
${entries.length === 0 ? html`<p class="empty">${filtered ? 'Nothing scheduled matches.' : 'Nothing scheduled.'}</p>` : html`<div class="scroll"><table><thead><tr><th>Due</th><th>Class</th><th>Queue</th><th>Args</th><th>Id</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`}
${filtered ? '' : pager(ctx, ['scheduled'], page, size, total)}</section>`);
}
