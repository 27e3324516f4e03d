// Workers: every registered worker on the store, errand's and Ruby Resque's alike (Resque's own
// `workers` set): id, host, pid, queues, started, last heartbeat, jobs in flight, and what it
// runs now and since when.

import type { AdminStore } from '../../storage/types.ts';
import { html, type SafeHtml } from '../html.ts';
import { clip, compact, timeTag } from '../format.ts';
import { layout, type PageContext } from '../layout.ts';

export async function workersPage(ctx: PageContext, admin: AdminStore): Promise<SafeHtml> {
  const workers = await admin.workers();
  const rows = workers.map((w) => {
    const [host, pid] = w.id.split(':');
    const on = (w.workingOn && typeof w.workingOn === 'object' ? w.workingOn : undefined) as { queue?: unknown; run_at?: unknown; payload?: { class?: unknown } } | undefined;
    const kind = w.instances && w.instances.length > 0 ? 'errand' : 'Resque';
    return html`<tr><td><code>${clip(w.id, 160)}</code> <span class="badge">${kind}</span>${w.instances && w.instances.length > 1 ? html` <span class="badge warn">${w.instances.length} instances</span>` : ''}</td><td>${clip(host, 80)}</td><td>${clip(pid, 12)}</td><td>${clip(w.queues.join(', '), 120)}</td><td>${timeTag(w.startedAt)}</td><td>${timeTag(w.heartbeatAt)}</td><td class="num">${compact(w.inFlight)}</td><td>${on ? html`${clip(on.payload?.class, 80)} <span class="muted">on ${clip(on.queue, 60)} since</span> ${timeTag(typeof on.run_at === 'string' ? on.run_at : undefined)}` : html`<span class="muted">idle</span>`}</td></tr>`;
  });
  return layout(ctx, 'workers', 'Workers', html`<section class="panel"><div class="panel-head"><span>${compact(workers.length)} registered</span></div>
${workers.length === 0 ? html`<p class="empty">No workers registered.</p>` : html`<div class="scroll"><table><thead><tr><th>Id</th><th>Host</th><th>Pid</th><th>Queues</th><th>Started</th><th>Heartbeat</th><th class="num">In flight</th><th>Running</th></tr></thead><tbody>${rows}</tbody></table></div>`}</section>`);
}
