// A job's detail by id (/jobs/:id): where it is now (AdminStore.job: waiting at a position,
// scheduled, in flight on a worker, failed, or unknown), its payload and its attempts; and
// jobLink, which every list page uses so a job id always links here. Ids are attacker-controlled
// (anyone who can enqueue picks them): they are escaped by the template, encoded by href, and
// a link is offered only for an id the route will accept (LIMITS.maxJobId).

import type { AdminStore, JobState } from '../../storage/types.ts';
import { parseObject } from '../../storage/resque-format.ts';
import { html, type SafeHtml } from '../html.ts';
import { clip, compact, href, pretty, refOf, timeTag } from '../format.ts';
import { LIMITS } from '../inputs.ts';
import { layout, type PageContext } from '../layout.ts';

/** The id as a link to its detail page; plain text when it is not a usable id. */
export function jobLink(ctx: PageContext, id: unknown, limit = 40): SafeHtml {
  if (typeof id !== 'string' || id.length === 0) return html`<span class="muted">-</span>`;
  if (id.length > LIMITS.maxJobId) return html`<code>${clip(id, limit)}</code>`;
  return html`<a href="${href(ctx.base, ['jobs', id])}"><code>${clip(id, limit)}</code></a>`;
}

function where(ctx: PageContext, job: JobState): SafeHtml {
  switch (job.state) {
    case 'waiting':
      return html`<p><span class="badge">waiting</span> on queue <a href="${href(ctx.base, ['queues', job.queue])}">${clip(job.queue, 200)}</a> at position <strong>${job.position + 1}</strong> (1 is reserved next).</p>`;
    case 'scheduled':
      return html`<p><span class="badge">scheduled</span> for ${timeTag(job.runAt, false)} on queue ${clip(job.queue, 200)} (<a href="${href(ctx.base, ['scheduled'])}">run it now or delete it there</a>).</p>`;
    case 'in-flight':
      return html`<p><span class="badge ok">in flight</span> on worker <code>${clip(job.worker, 200)}</code>${job.instance && job.instance !== job.worker ? html` (instance <code>${clip(job.instance, 200)}</code>)` : ''} from queue ${clip(job.queue, 200)}${job.since ? html`, since ${timeTag(job.since, false)}` : ''}.</p>`;
    case 'failed':
      return html`<p><span class="badge warn">failed</span>${job.queue ? html` on queue ${clip(job.queue, 200)}` : ''}: <strong>${clip(job.exception, 200)}</strong> ${clip(job.error, 2000)}</p>
<p><a href="${href(ctx.base, ['failed', job.failure.index], { ref: refOf(job.failure.raw) })}">The failure: backtrace, retry, remove</a></p>`;
    case 'unknown':
      return html`<p><span class="badge">unknown</span> No job with this id is waiting, scheduled, in flight or in the failed list.</p>
<p class="muted">Finished jobs are not kept, so a job that completed looks the same as an id that was never enqueued.</p>`;
  }
}

function payloadOf(job: JobState): string | undefined {
  if (job.state === 'unknown') return undefined;
  if (job.state === 'failed') {
    const payload = job.failure.entry?.payload;
    return payload === undefined ? job.failure.raw : JSON.stringify(payload);
  }
  return job.payload;
}

/** Attempt 1 unless the payload says more; earlier attempts' errors as the retry kept them. */
function attempts(payload: string | undefined): SafeHtml {
  const job = payload === undefined ? undefined : parseObject(payload);
  if (!job) return html``;
  const errors = Array.isArray(job.errors) ? (job.errors as Record<string, unknown>[]) : [];
  const attempt = typeof job.attempt === 'number' ? job.attempt : errors.length + 1;
  return html`<section class="panel"><h2>Attempts</h2><p>This is attempt <strong>${attempt}</strong>.</p>${errors.length === 0 ? '' : html`<ol class="attempts">${errors.map((e) =>
    html`<li><strong>${clip(e.exception, 200)}</strong> ${clip(e.error, 2000)} <span class="muted">attempt ${clip(e.attempt, 10)}, ${timeTag(typeof e.at === 'string' ? e.at : undefined, false)}</span></li>`)}</ol>`}</section>`;
}

/** How long, and how many store steps, one request looks for a job before it answers "still looking" (so every page stays quick). */
const SEARCH_MS = 50;
const SEARCH_STEPS = 5;
/** Entries one store step reads (Redis: a few ms of its time). */
const SEARCH_STEP = 10_000;

function stillLooking(ctx: PageContext, id: string, resume: string, scanned: number): SafeHtml {
  return layout(ctx, 'job', `Job ${clip(id, 80)}`, html`<section class="panel"><dl class="facts"><dt>Id</dt><dd><code>${clip(id, LIMITS.maxJobId)}</code></dd></dl>
<p><span class="badge">looking</span> Not found yet: this step read ${compact(scanned)} entries. A look-up reads every waiting, in-flight, scheduled and failed job, in short steps so that the workers are not held up.</p>
<p><a id="keep-looking" href="${href(ctx.base, ['jobs', id], { from: resume })}">Keep looking</a></p></section>`);
}

export async function jobPage(ctx: PageContext, admin: AdminStore, id: string, resume?: string): Promise<SafeHtml> {
  const deadline = performance.now() + SEARCH_MS;
  let step = await admin.findJobStep(id, resume, SEARCH_STEP);
  let scanned = 0;
  for (let steps = 1; !step.done; steps++) {
    scanned += step.scanned;
    if (steps >= SEARCH_STEPS || performance.now() >= deadline) return stillLooking(ctx, id, step.resume, scanned);
    step = await admin.findJobStep(id, step.resume, SEARCH_STEP);
  }
  const job = step.job;
  const payload = payloadOf(job);
  const cls = payload === undefined ? undefined : parseObject(payload)?.class;
  return layout(ctx, 'job', `Job ${clip(id, 80)}`, html`
<section class="panel"><dl class="facts"><dt>Id</dt><dd><code>${clip(id, LIMITS.maxJobId)}</code></dd>${cls !== undefined ? html`<dt>Class</dt><dd>${clip(cls, 200)}</dd>` : ''}</dl>${where(ctx, job)}</section>
${attempts(payload)}
${payload === undefined ? '' : html`<section class="panel"><h2>Payload</h2><pre>${pretty(payload)}</pre></section>`}`);
}
