// Queues: every queue with its figures; one queue's waiting jobs a page at a time (class, args,
// enqueued at, id, the payload pretty-printed), delete one, and clear with a confirmation that
// names the count.

import type { AdminStore } from '../../storage/types.ts';
import { parseObject } from '../../storage/resque-format.ts';
import { html, type SafeHtml } from '../html.ts';
import { clip, compact, href, pretty, refOf, timeTag } from '../format.ts';
import { action, layout, pager, type PageContext } from '../layout.ts';
import { queueTable } from './overview.ts';
import { jobLink } from './job.ts';

export async function queuesPage(ctx: PageContext, admin: AdminStore): Promise<SafeHtml> {
  const stats = await admin.stats();
  return layout(ctx, 'queues', 'Queues', html`<section class="panel">${queueTable(ctx, stats.queues, Date.now())}</section>`);
}

export async function queueSize(admin: AdminStore, name: string): Promise<number | undefined> {
  return (await admin.stats()).queues.find((q) => q.name === name)?.size;
}

/** Pause or resume one queue; the note says what a Ruby Resque worker makes of it. */
function pauseControl(ctx: PageContext, name: string, paused: boolean): SafeHtml {
  return html`${paused ? html`<span class="badge warn" title="errand workers skip it; Ruby Resque workers do not know this pause">paused</span>` : ''}${action(ctx, ['queues', name, 'pause'], { paused: paused ? '0' : '1' }, paused ? 'Resume queue' : 'Pause queue')}`;
}

export async function queuePage(ctx: PageContext, admin: AdminStore, name: string, page: number, size: number): Promise<SafeHtml | undefined> {
  const stats = (await admin.stats()).queues.find((q) => q.name === name);
  if (stats === undefined) return undefined;
  const total = stats.size;
  const start = page * size;
  const jobs = await admin.peek(name, start, size);
  const rows = jobs.map((payload, i) => {
    const job = parseObject(payload);
    return html`<tr><td class="num">${start + i + 1}</td><td>${job ? clip(job.class, 80) : html`<span class="muted">not JSON</span>`}</td><td><code>${clip(job?.args, 100)}</code></td><td>${typeof job?.enqueued_at === 'number' ? timeTag(job.enqueued_at) : '-'}</td><td>${jobLink(ctx, job?.id)}</td><td class="actions">${action(ctx, ['queues', name, 'remove'], { i: start + i, ref: refOf(payload) }, 'Delete', 'danger')}</td></tr>
<tr class="detail"><td></td><td colspan="5"><details><summary>payload</summary><pre>${pretty(payload)}</pre></details></td></tr>`;
  });
  return layout(ctx, 'queues', `Queue ${clip(name, 200)}`, html`
<section class="panel"><div class="panel-head"><span>${compact(total)} waiting</span>${pauseControl(ctx, name, stats.paused)}${total > 0 && !ctx.readOnly ? html`<a class="button danger" href="${href(ctx.base, ['queues', name, 'clear'])}">Clear queue…</a>` : ''}</div>
${jobs.length === 0 ? html`<p class="empty">No waiting jobs.</p>` : html`<div class="scroll"><table><thead><tr><th class="num">#</th><th>Class</th><th>Args</th><th>Enqueued</th><th>Id</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`}
${pager(ctx, ['queues', name], page, size, total)}</section>`);
}

export async function clearConfirmPage(ctx: PageContext, admin: AdminStore, name: string): Promise<SafeHtml | undefined> {
  const total = await queueSize(admin, name);
  if (total === undefined) return undefined;
  return layout(ctx, 'queues', `Clear queue ${clip(name, 200)}?`, html`<section class="panel"><p>This deletes the <strong>${compact(total)} waiting ${total === 1 ? 'job' : 'jobs'}</strong> (${String(total)}) in <strong>${clip(name, 200)}</strong>. Jobs in flight are not touched. This cannot be undone.</p>
${action(ctx, ['queues', name, 'clear'], {}, `Delete ${total} ${total === 1 ? 'job' : 'jobs'}`, 'danger')} <a href="${href(ctx.base, ['queues', name])}">Cancel</a></section>`);
}
