// Scheduled: delayed jobs and pending retries by due time, a page at a time; run one now or
// delete it. Due times are the store's clock.

import type { AdminStore } from '../../storage/types.ts';
import { parseObject } from '../../storage/resque-format.ts';
import { html, type SafeHtml } from '../html.ts';
import { clip, compact, pretty, refOf, timeTag } from '../format.ts';
import { action, layout, pager, type PageContext } from '../layout.ts';
import { jobLink } from './job.ts';

export async function scheduledPage(ctx: PageContext, admin: AdminStore, page: number, size: number): Promise<SafeHtml> {
  const total = await admin.scheduledCount();
  const entries = await admin.scheduled(page * size, size);
  const rows = entries.map((entry) => {
    const job = parseObject(entry.payload);
    const ref = refOf(entry.key);
    const attempt = typeof job?.attempt === 'number' && job.attempt > 1 ? html`<span class="badge warn">retry ${job.attempt}</span>` : html`<span class="badge">delayed</span>`;
    return html`<tr><td>${timeTag(entry.runAt)}</td><td>${job ? clip(job.class, 80) : '(not JSON)'} ${attempt}</td><td>${clip(entry.queue, 60)}</td><td><code>${clip(job?.args, 100)}</code></td><td>${jobLink(ctx, job?.id)}</td><td class="actions">${action(ctx, ['scheduled', 'run'], { i: entry.index, ref }, 'Run now')}${action(ctx, ['scheduled', 'remove'], { i: entry.index, ref }, 'Delete', 'danger')}</td></tr>
<tr class="detail"><td></td><td colspan="5"><details><summary>payload</summary><pre>${pretty(entry.payload)}</pre></details></td></tr>`;
  });
  return layout(ctx, 'scheduled', 'Scheduled', html`<section class="panel"><div class="panel-head"><span>${compact(total)} scheduled (delayed jobs and retries)</span></div>
${entries.length === 0 ? html`<p class="empty">Nothing scheduled.</p>` : html`<div class="scroll"><table><thead><tr><th>Due</th><th>Class</th><th>Queue</th><th>Args</th><th>Id</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`}
${pager(ctx, ['scheduled'], page, size, total)}</section>`);
}
