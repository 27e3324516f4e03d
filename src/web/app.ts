// The dashboard's routes on Hono: the security headers on every answer, the authorize hook, the
// pages (GET, never changing anything), stats.json for the live chart, the assets, and the
// mutations (POST only, each behind the same-origin check, the CSRF token and readOnly).
// Lifecycle: built once per createDashboard(); it holds no state but the Guard's secret.

import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Registry } from 'prom-client';
import type { AdminStore } from '../storage/types.ts';
import type { ScheduleStore } from '../storage/schedule-types.ts';
import { raw, type SafeHtml } from './html.ts';
import { href } from './format.ts';
import { Guard, SECURITY_HEADERS } from './security.ts';
import { asset, assetVersion } from './assets.ts';
import { BadInput, entryRef, filterOf, jobIdOf, LIMITS, metricWindowOf, nameOf, paging, resumeOf } from './inputs.ts';
import { metricsPage } from './pages/job-metrics.ts';
import * as act from './actions.ts';
import { layout, type PageContext } from './layout.ts';
import { liveFigures, overviewPage, rateHistory } from './pages/overview.ts';
import { clearConfirmPage, queuePage, queuesPage } from './pages/queues.ts';
import { failedPage, failureDetailPage } from './pages/failed.ts';
import { scheduledPage } from './pages/scheduled.ts';
import { workersPage } from './pages/workers.ts';
import { jobPage } from './pages/job.ts';
import { schedulesPage } from './pages/schedules.ts';
import { pauseSchedule, runSchedule, scheduleNameOf } from './schedule-actions.ts';

export interface AppOptions {
  readonly admin: () => Promise<AdminStore>;
  /** The recurring schedules' side (undefined when only an AdminStore was given). */
  readonly schedules?: () => Promise<ScheduleStore | undefined>;
  readonly basePath: string;
  readonly readOnly: boolean;
  readonly secret?: string;
  readonly authorize?: (request: Request) => boolean | Response | Promise<boolean | Response>;
  /** The Prometheus registry GET /metrics serves; no route when absent. */
  readonly metrics?: () => Promise<Registry>;
}

const MAX_FORM_BYTES = LIMITS.maxFormBytes;
const page = (body: SafeHtml, status = 200) => new Response(body.value, { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });

export function buildApp(options: AppOptions): Hono {
  const guard = new Guard(options.secret);
  const base = options.basePath;
  const root = new Hono({ strict: false });
  const app = base ? root.basePath(base) : root;
  const ctx = (c: Context): PageContext => {
    const code = c.req.query('done');
    const say = code ? act.NOTICES[code] : undefined;
    const n = Number(c.req.query('n') ?? 0);
    return { base, token: guard.token, readOnly: options.readOnly, notice: say?.(Number.isSafeInteger(n) ? n : 0), assetVersion: assetVersion() };
  };
  const notFound = (c: Context, what: string) => page(layout(ctx(c), '', 'Not found', raw(`<p class="empty">${what === 'queue' ? 'No such queue.' : 'That entry is gone (retried, removed or moved).'}</p>`)), 404);

  root.use('*', async (c, next) => {
    const verdict = options.authorize ? await options.authorize(c.req.raw) : true;
    if (verdict instanceof Response) c.res = verdict;
    else if (!verdict) c.res = new Response('forbidden\n', { status: 403, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    else await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });
  root.onError((error, c) => {
    if (error instanceof BadInput) return c.text(`bad request: ${error.message}\n`, 400);
    console.error('errand dashboard:', error);
    return c.text('internal error: see the server log\n', 500);
  });
  root.notFound((c) => c.text('not found\n', 404, { 'x-errand-cascade': 'pass' }));

  app.get('/', async (c) => page(await overviewPage(ctx(c), await options.admin())));
  // ?history=1 (the chart's first poll) adds the last hour per minute; later polls stay small.
  app.get('/stats.json', async (c) => {
    const admin = await options.admin();
    const [stats, metrics] = await Promise.all([admin.stats(), c.req.query('history') === '1' ? admin.jobMetrics(60) : undefined]);
    const now = Date.now();
    const body = metrics ? { ...liveFigures(stats, now), history: rateHistory(metrics, now) } : liveFigures(stats, now);
    return c.json(body, 200, { 'cache-control': 'no-store' });
  });
  if (options.metrics) {
    const metrics = options.metrics;
    app.get('/metrics', async () => {
      const registry = await metrics();
      return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' } });
    });
  }
  app.get('/assets/:file', (c) => asset(c.req.param('file')) ?? c.text('not found\n', 404));
  app.get('/queues', async (c) => page(await queuesPage(ctx(c), await options.admin())));
  app.get('/queues/:name', async (c) => {
    const { page: p, size } = paging((n) => c.req.query(n));
    const body = await queuePage(ctx(c), await options.admin(), nameOf(c.req.param('name')), p, size);
    return body ? page(body) : notFound(c, 'queue');
  });
  app.get('/queues/:name/clear', async (c) => {
    const body = await clearConfirmPage(ctx(c), await options.admin(), nameOf(c.req.param('name')));
    return body ? page(body) : notFound(c, 'queue');
  });
  app.get('/failed', async (c) => {
    const { page: p, size } = paging((n) => c.req.query(n));
    return page(await failedPage(ctx(c), await options.admin(), filterOf((n) => c.req.query(n)), p, size));
  });
  app.get('/failed/:index', async (c) => {
    const { index, ref } = entryRef((n) => (n === 'i' ? c.req.param('index') : c.req.query(n)));
    const body = await failureDetailPage(ctx(c), await options.admin(), index, ref);
    return body ? page(body) : notFound(c, 'entry');
  });
  app.get('/scheduled', async (c) => {
    const { page: p, size } = paging((n) => c.req.query(n));
    const { class: cls, queue } = filterOf((n) => c.req.query(n));
    return page(await scheduledPage(ctx(c), await options.admin(), { class: cls, queue }, p, size));
  });
  app.get('/workers', async (c) => page(await workersPage(ctx(c), await options.admin())));
  app.get('/job-metrics', async (c) => page(await metricsPage(ctx(c), await options.admin(), metricWindowOf(c.req.query('window')))));
  app.get('/schedules', async (c) => page(await schedulesPage(ctx(c), await options.schedules?.())));
  app.get('/jobs/:id', async (c) => page(await jobPage(ctx(c), await options.admin(), jobIdOf(c.req.param('id')), resumeOf(c.req.query('from')))));

  // Forms carry a filter and a few ids: a bigger body is refused unread, also on the fetch handler.
  const limit = bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text('request body too large\n', 413) });
  /** A POST route: refused when read-only, cross-origin or without the token; then 303 back to `to`. */
  const post = (path: string, run: (admin: AdminStore, form: Record<string, unknown>, c: Context) => Promise<act.Done>, to: (c: Context, form: Record<string, unknown>) => string) =>
    app.post(path, limit, async (c) => {
      if (options.readOnly) return c.text('this dashboard is read-only\n', 403);
      const form = (await c.req.parseBody()) as Record<string, unknown>;
      const refused = guard.refuse(c.req.raw, form._csrf);
      if (refused) return c.text(`refused: ${refused}\n`, 403);
      const done = await run(await options.admin(), form, c);
      const target = to(c, form);
      return c.redirect(`${target}${target.includes('?') ? '&' : '?'}done=${done.notice}${done.n !== undefined ? `&n=${done.n}` : ''}`, 303);
    });
  const get = (form: Record<string, unknown>) => (name: string) => form[name];
  const failedList = (_c: Context, form: Record<string, unknown>) => href(base, ['failed'], { ...filterOf(get(form)) });

  post('/pause', (admin, form) => act.setPaused(admin, form.paused === '1'), () => href(base, []));
  post('/queues/:name/remove', (admin, form, c) => {
    const { index, ref } = entryRef(get(form));
    return act.removeQueued(admin, nameOf(c.req.param('name')!), index, ref);
  }, (c) => href(base, ['queues', c.req.param('name')!]));
  post('/queues/:name/pause', (admin, form, c) => act.setQueuePaused(admin, nameOf(c.req.param('name')!), form.paused === '1'), (c) => href(base, ['queues', c.req.param('name')!]));
  post('/queues/:name/clear', (admin, _form, c) => act.clearQueue(admin, nameOf(c.req.param('name')!)), (c) => href(base, ['queues', c.req.param('name')!]));
  post('/failed/retry', (admin, form) => act.retryFailed(admin, entryRef(get(form)).index, entryRef(get(form)).ref), () => href(base, ['failed']));
  post('/failed/remove', (admin, form) => act.removeFailed(admin, entryRef(get(form)).index, entryRef(get(form)).ref), () => href(base, ['failed']));
  post('/failed/retry-all', (admin, form) => act.retryAllFailed(admin, filterOf(get(form))), failedList);
  post('/failed/remove-all', (admin, form) => act.removeAllFailed(admin, filterOf(get(form))), failedList);
  post('/scheduled/run', (admin, form) => act.runScheduled(admin, entryRef(get(form)).index, entryRef(get(form)).ref), () => href(base, ['scheduled']));
  post('/scheduled/remove', (admin, form) => act.removeScheduled(admin, entryRef(get(form)).index, entryRef(get(form)).ref), () => href(base, ['scheduled']));
  const scheduledFilter = (form: Record<string, unknown>) => ({ class: filterOf(get(form)).class, queue: filterOf(get(form)).queue });
  const scheduledList = (_c: Context, form: Record<string, unknown>) => href(base, ['scheduled'], scheduledFilter(form));
  post('/scheduled/run-all', async (admin, form) => ({ notice: 'ran-all', n: await admin.runScheduledMatching(scheduledFilter(form)) }), scheduledList);
  post('/scheduled/remove-all', async (admin, form) => ({ notice: 'removed-scheduled', n: await admin.removeScheduledMatching(scheduledFilter(form)) }), scheduledList);
  // Schedules: ScheduleStore rather than AdminStore; with none, nothing to change (the page says why).
  const withSchedules = (run: (s: ScheduleStore) => Promise<act.Done>) => async (): Promise<act.Done> => {
    const schedules = await options.schedules?.();
    return schedules ? run(schedules) : { notice: 'no-schedule' };
  };
  post('/schedules/run', (_a, form) => withSchedules((s) => runSchedule(s, scheduleNameOf(form.name)))(), () => href(base, ['schedules']));
  post('/schedules/pause', (_a, form) => withSchedules((s) => pauseSchedule(s, scheduleNameOf(form.name), true))(), () => href(base, ['schedules']));
  post('/schedules/resume', (_a, form) => withSchedules((s) => pauseSchedule(s, scheduleNameOf(form.name), false))(), () => href(base, ['schedules']));
  return root;
}
