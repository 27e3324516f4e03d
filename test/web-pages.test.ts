// The dashboard's job detail and Schedules pages in a real headless Chromium, on both stores:
// a job's page tells each state (waiting, scheduled, in flight, failed, unknown) with hostile
// ids rendered as text and executing nothing, every list links its ids there, over-long ids are
// refused; the Scheduled page runs or deletes all that match a filter; the Schedules page lists hostile names as text, its actions change the store as
// shown, and readOnly offers and accepts none. One browser for the file.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { Store } from '../src/storage/types.ts';
import { createDashboard } from '../src/web/index.ts';
import { freshStore, launchBrowser, openWatchedPage, serve } from './support/browser.ts';

const HOSTILE = [
  '<script>window.__xss=1;alert(1)</script>',
  '"><img src=x onerror="window.__xss=2;alert(2)">',
  "'><svg onload=\"window.__xss=3;alert(3)\">",
  'javascript:window.__xss=4;alert(4)',
  'abc\u202Eevil\u202Cdef/../?x=1#y',
];
/** One hostile id per state, so each page shows its own. */
const ID = { waiting: `w${HOSTILE[0]}`, scheduled: `s${HOSTILE[1]}`, inFlight: `f${HOSTILE[2]}`, failed: `x${HOSTILE[4]}` };
const job = (cls: string, id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ class: cls, args: [HOSTILE[3]], id, enqueued_at: Date.now() - 60_000, ...extra });
const SECRET = 'test-secret';
const EVERY = JSON.stringify({ every: 60_000, job: 'Tick', queue: 'ticks', args: [HOSTILE[0]] });

let browser: { context: BrowserContext; close: () => Promise<void> };
let shots = '';
before(async () => {
  browser = await launchBrowser();
  shots = await mkdtemp(join(tmpdir(), 'errand-web-pages-shots-'));
});
after(async () => {
  await browser?.close();
  process.stdout.write(`# job and schedules screenshots in ${shots}\n`);
});

async function seed(store: Store): Promise<string> {
  await store.push([{ queue: 'mail', payload: job('Mail', 'plain-1') }, { queue: 'mail', payload: job(HOSTILE[1]!, ID.waiting) }]);
  await store.schedule([{ queue: 'later', payload: job('Later', ID.scheduled), runAt: Date.now() + 3_600_000 }]);
  const bulk = [['bulk', 'b1'], [HOSTILE[2]!, 'b2'], ['bulk', 'b3']] as const;
  await store.schedule([...bulk.map(([queue, id], i) => ({ queue, payload: job(HOSTILE[0]!, id), runAt: Date.now() + 1_000_000 + i * 1000 })), { queue: 'bulk', payload: job('Other', 'o1'), runAt: Date.now() + 2_000_000 }]);
  const worker = await store.register({ id: `host:42:${HOSTILE[0]}`, queues: ['work'], startedAt: new Date(), leaseMs: 120_000 });
  const errors = [{ exception: HOSTILE[0], error: 'first try broke', attempt: 1, at: '2026/11/28 01:50:00 UTC' }];
  await store.push([{ queue: 'work', payload: job('Broke', ID.failed, { attempt: 2, errors }) }, { queue: 'work', payload: job('Busy', ID.inFlight) }]);
  const [failing] = await store.reserve(worker, ['work'], 1);
  await store.settle(worker, [{ token: failing!.token, kind: 'failed', entry: JSON.stringify({ failed_at: '2026/11/28 01:51:55 UTC', payload: JSON.parse(failing!.payload), exception: HOSTILE[1], error: `${HOSTILE[2]} second`, backtrace: [], worker, queue: 'work' }) }]);
  await store.reserve(worker, ['work'], 1);
  await store.schedules().declare([{ name: HOSTILE[0]!, definition: EVERY }, { name: 'nightly', definition: JSON.stringify({ cron: '0 3 * * *', job: 'Nightly', queue: 'ticks', args: [] }) }]);
  return worker;
}

const newPage = () => openWatchedPage(browser.context);

/** Nothing the data carried became markup or ran; returns the page's text. */
async function inert(page: Page, problems: string[], where: string): Promise<string> {
  const state = await page.evaluate(() => ({
    xss: (window as unknown as { __xss?: number }).__xss,
    alerts: (window as unknown as { __alerts: string[] }).__alerts,
    scripts: document.scripts.length,
    images: document.images.length,
    svgs: document.querySelectorAll('svg').length,
    handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
    jsLinks: [...document.querySelectorAll('a')].filter((a) => a.href.startsWith('javascript:')).length,
  }));
  assert.deepEqual(state, { xss: undefined, alerts: [], scripts: 1, images: 0, svgs: 0, handlers: 0, jsLinks: 0 }, where);
  assert.deepEqual(problems, [], where);
  return page.locator('main').innerText();
}

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`job and schedules pages on ${kind}`, { timeout: 240_000 }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let site: Awaited<ReturnType<typeof serve>>;
    let base = '';
    let worker = '';
    before(async () => {
      ({ store, cleanup } = await freshStore(kind));
      worker = await seed(store);
      site = await serve(createDashboard({ store, basePath: '/errand', secret: SECRET }).node);
      base = `${site.url}/errand`;
    });
    after(async () => {
      await site?.close();
      await cleanup?.();
    });

    it("a job's page tells where it is; lists link their ids there; hostile ids stay text", async () => {
      const { page, problems } = await newPage();
      const visit = async (id: string, name: string) => {
        const response = await page.goto(`${base}/jobs/${encodeURIComponent(id)}`);
        assert.equal(response?.status(), 200, name);
        await page.screenshot({ path: join(shots, `${kind}-job-${name}.png`), fullPage: true });
        const text = await inert(page, problems, name);
        assert.ok(text.includes(`Job ${id}`), `${name}: the id as text`);
        return text;
      };
      assert.match(await visit(ID.waiting, 'waiting'), /waiting on queue mail at position 2 /);
      assert.match(await visit(ID.scheduled, 'scheduled'), /scheduled for .* on queue later/);
      const inFlight = await visit(ID.inFlight, 'in-flight');
      assert.ok(inFlight.includes(`in flight on worker ${worker}`), 'the worker holding it');
      const failed = await visit(ID.failed, 'failed');
      assert.ok(failed.includes(`failed on queue work: ${HOSTILE[1]} ${HOSTILE[2]} second`), 'its error as text');
      assert.ok(failed.includes('This is attempt 2.') && failed.includes(`${HOSTILE[0]} first try broke`), 'its attempts');
      await page.locator('a', { hasText: 'The failure' }).click();
      assert.ok((await inert(page, problems, 'failure')).includes(`${HOSTILE[2]} second`), 'links to the failure');
      const unknown = await visit('no-such-id', 'unknown');
      assert.ok(unknown.includes('unknown') && unknown.includes('Finished jobs are not kept'), 'says finished jobs are not kept');
      // Every list links its ids to the job page.
      for (const [path, id] of [['/queues/mail', ID.waiting], ['/scheduled', ID.scheduled], ['/failed', ID.failed]] as const) {
        await page.goto(`${base}${path}`);
        await page.locator('a', { hasText: id.slice(0, 12) }).first().click();
        assert.ok((await inert(page, problems, `${path} link`)).includes(`Job ${id}`), `${path} links ${id}`);
      }
      assert.equal((await page.goto(`${base}/jobs/${'i'.repeat(513)}`))?.status(), 400, 'an over-long id is refused');
      await page.close();
    });

    // Catches: a job page that scans a big store in one request (it would answer late and, on
    // Redis, hold the workers up), a "keep looking" link that restarts instead of going on, or
    // app.js not following it.
    it('a job behind a long queue: the page answers "still looking" and goes on by itself until it finds it', async () => {
      const deep = `deep-${kind}`;
      const filler = JSON.stringify({ class: 'Filler', args: [1], id: 'filler', enqueued_at: 1 });
      for (let i = 0; i < 6; i++) await store.push(Array.from({ length: 10_000 }, () => ({ queue: 'deep', payload: filler })));
      // Failed: the last place every store reads, so the look-up passes the 60k waiting jobs first.
      await store.push([{ queue: 'deep-failed', payload: job('Deep', deep) }]);
      const [held] = await store.reserve(worker, ['deep-failed'], 1);
      await store.settle(worker, [{ token: held!.token, kind: 'failed', entry: JSON.stringify({ failed_at: '2026/12/01 00:00:00 UTC', payload: JSON.parse(held!.payload), exception: 'Deep', error: 'at the bottom', backtrace: [], worker, queue: 'deep-failed' }) }]);
      const { page, problems } = await newPage();
      const first = await (await fetch(`${base}/jobs/${deep}`)).text();
      assert.match(first, /id="keep-looking" href="[^"]*\/jobs\/deep-[a-z]+\?from=/, 'one request stops after its steps');
      await page.goto(`${base}/jobs/${deep}`);
      await page.waitForFunction(() => document.querySelector('main')?.textContent?.includes('failed on queue'), undefined, { timeout: 30_000 });
      assert.match(await inert(page, problems, 'deep job'), /failed on queue deep-failed: Deep at the bottom/);
      assert.equal(await store.admin().clearQueue('deep'), 60_000);
      assert.equal(await store.admin().removeFailedMatching({ queue: 'deep-failed' }), 1);
      await page.close();
    });

    // Catches: a pause button that posts nowhere or to the wrong queue, a resume that leaves the
    // queue paused, a paused queue not shown as such, readOnly offering the toggle.
    it('a queue page pauses and resumes its queue; the queue list shows it paused', async () => {
      const admin = store.admin();
      const { page, problems } = await newPage();
      await page.goto(`${base}/queues/mail`);
      await page.locator('button', { hasText: 'Pause queue' }).click();
      assert.match(await page.locator('.notice').innerText(), /^Queue paused: errand workers skip it/);
      assert.deepEqual(await admin.pausedQueues(), ['mail']);
      assert.equal(await page.locator('.panel-head .badge', { hasText: 'paused' }).count(), 1, 'the queue page says paused');
      await page.goto(`${base}/queues`);
      const row = page.locator('tr', { has: page.locator('a', { hasText: /^mail$/ }) });
      assert.equal(await row.locator('.badge', { hasText: 'paused' }).count(), 1, 'the list marks it');
      await inert(page, problems, 'queues with a paused one');
      const ro = await serve(createDashboard({ store, basePath: '/errand', secret: SECRET, readOnly: true }).node);
      await page.goto(`${ro.url}/errand/queues/mail`);
      assert.equal(await page.locator('button', { hasText: 'Resume queue' }).count(), 0, 'readOnly offers no toggle');
      await ro.close();
      await page.goto(`${base}/queues/mail`);
      await page.locator('button', { hasText: 'Resume queue' }).click();
      assert.equal(await page.locator('.notice').innerText(), 'Queue resumed.');
      assert.deepEqual(await admin.pausedQueues(), []);
      assert.equal((await admin.peek('mail', 0, 10)).length, 2, 'pausing moved no job');
      await page.close();
    });

    // Catches: the page not reading the store's metrics (or the wrong window), a class name
    // rendered as markup, bars that do not follow the counts, an unbounded window parameter.
    it('the Metrics page shows per class runs, failures, time and bars; hostile class names stay text', async () => {
      const w = await store.register({ id: 'host:43:metered', queues: ['metered'], startedAt: new Date(), leaseMs: 120_000 });
      await store.push([1, 2, 3].map((n) => ({ queue: 'metered', payload: job('Metered', `m${n}`) })));
      const held = await store.reserve(w, ['metered'], 3);
      await store.settle(w, [
        { token: held[0]!.token, kind: 'done', queue: 'metered', jobClass: HOSTILE[1]!, ms: 40 },
        { token: held[1]!.token, kind: 'done', queue: 'metered', jobClass: HOSTILE[1]!, ms: 20 },
        { token: held[2]!.token, kind: 'failed', queue: 'metered', jobClass: 'Report', ms: 2_000, entry: '{"payload":{},"exception":"E"}' },
      ]);
      const { page, problems } = await newPage();
      await page.goto(`${base}/job-metrics`);
      await page.screenshot({ path: join(shots, `${kind}-job-metrics.png`), fullPage: true });
      await inert(page, problems, 'job metrics');
      const rows = page.locator('tbody tr');
      assert.equal(await rows.count(), 2);
      const cells = async (i: number) => (await rows.nth(i).locator('td').allInnerTexts()).slice(0, 5);
      assert.deepEqual(await cells(0), ['Report', '1', '1 (100 %)', '2 s', '2 s'], 'the largest total time first');
      assert.deepEqual(await cells(1), [HOSTILE[1], '2', '0 (0 %)', '60 ms', '30 ms'], 'a hostile class as text');
      const filled = rows.nth(1).locator('.histogram .bar.h10');
      assert.deepEqual(await filled.evaluateAll((bars) => bars.map((b) => b.getAttribute('title'))), ['≤ 25 ms: 1', '≤ 50 ms: 1'], 'its two runs, full height each');
      assert.equal(await rows.nth(1).locator('.histogram .bar.h0').count(), 13, 'the other buckets empty');
      await page.locator('nav.windows a', { hasText: '24 h' }).click();
      assert.equal(await page.locator('nav.windows a[aria-current]').innerText(), '24 h');
      assert.equal(await page.locator('tbody tr').count(), 2, 'the day window holds them too');
      assert.equal((await page.goto(`${base}/job-metrics?window=7`))?.status(), 400, 'a window not offered is refused');
      await page.close();
    });

    it('the Scheduled page runs or deletes all that match a class and queue; readOnly refuses both', async () => {
      const admin = store.admin();
      const { page, problems } = await newPage();
      const notice = () => page.locator('.notice').innerText();
      const scheduledIds = async () => (await admin.scheduled(0, 10)).map((e) => JSON.parse(e.payload).id);
      await page.goto(`${base}/scheduled`);
      await page.fill('form.filter input[name=class]', HOSTILE[0]!);
      await page.fill('form.filter input[name=queue]', 'bulk');
      await page.locator('button', { hasText: 'Filter' }).click();
      await inert(page, problems, 'filtered scheduled');
      assert.equal(await page.locator('form.filter input[name=class]').inputValue(), HOSTILE[0], 'the filter shows as typed');
      assert.equal(await page.locator('tbody tr:not(.detail)').count(), 2, 'the two matches (not Other on bulk)');
      await page.screenshot({ path: join(shots, `${kind}-scheduled-filtered.png`), fullPage: true });
      await page.locator('button', { hasText: 'Run matching now' }).click();
      assert.equal(await notice(), 'Queued 2 scheduled jobs to run now.');
      assert.deepEqual((await admin.peek('bulk', 0, 10)).map((p) => JSON.parse(p).id), ['b1', 'b3'], 'in due order');
      assert.deepEqual(await scheduledIds(), ['b2', 'o1', ID.scheduled]);
      // Read-only: nothing offered, both refused with a valid token.
      const token = await page.locator('input[name=_csrf]').first().getAttribute('value');
      const ro = await serve(createDashboard({ store, basePath: '/errand', secret: SECRET, readOnly: true }).node);
      await page.goto(`${ro.url}/errand/scheduled?class=${encodeURIComponent(HOSTILE[0]!)}`);
      assert.equal(await page.locator('form[method=post]').count(), 0, 'no mutation offered');
      for (const path of ['/scheduled/run-all', '/scheduled/remove-all']) {
        const status = await page.evaluate(([url, body]) => fetch(url, { method: 'POST', body: new URLSearchParams(body) }).then((r) => r.status), [`${ro.url}/errand${path}`, { class: HOSTILE[0]!, _csrf: token! }] as const);
        assert.equal(status, 403, path);
      }
      await ro.close();
      assert.deepEqual(await scheduledIds(), ['b2', 'o1', ID.scheduled], 'read-only changed nothing');
      await page.goto(`${base}/scheduled?class=${encodeURIComponent(HOSTILE[0]!)}`);
      await page.locator('button', { hasText: 'Delete matching' }).click();
      assert.equal(await notice(), 'Deleted 1 scheduled job.');
      assert.deepEqual(await scheduledIds(), ['o1', ID.scheduled]);
      assert.equal((await admin.peek(HOSTILE[2]!, 0, 10)).length, 0, 'deleting queues nothing');
      await page.close();
    });

    it('the Schedules page lists hostile names as text; run now, pause and resume change the store; readOnly refuses them', async () => {
      const schedules = store.schedules();
      const state = async () => (await schedules.list()).find((s) => s.name === HOSTILE[0])!;
      const { page, problems } = await newPage();
      const notice = () => page.locator('.notice').innerText();
      assert.equal((await page.goto(`${base}/schedules`))?.status(), 200);
      await page.screenshot({ path: join(shots, `${kind}-schedules.png`), fullPage: true });
      const text = await inert(page, problems, 'schedules');
      assert.ok(text.includes(HOSTILE[0]!) && text.includes('every 60 s') && text.includes('cron 0 3 * * *') && text.includes('Tick on ticks'), 'names and timings as text');
      const row = () => page.locator('tr', { hasText: HOSTILE[0]! });
      await row().locator('button', { hasText: 'Run now' }).click();
      assert.equal(await notice(), 'Enqueued a run now (it counts as the last run).');
      const [ran] = (await store.admin().peek('ticks', 0, 10)).map((p) => JSON.parse(p));
      assert.deepEqual([ran.class, ran.args, ran.schedule.name], ['Tick', [HOSTILE[0]], HOSTILE[0]]);
      assert.equal((await state()).lastJobId, ran.id);
      assert.ok((await inert(page, problems, 'after run')).includes(ran.id.slice(0, 12)), 'the last run links its job');
      await row().locator('button', { hasText: 'Pause' }).click();
      assert.equal(await notice(), 'Paused: its ticks are skipped until resumed.');
      assert.equal((await state()).paused, true);
      assert.ok((await row().innerText()).includes('(paused)'));
      await row().locator('button', { hasText: 'Resume' }).click();
      assert.equal((await state()).paused, false);
      // Read-only: no form, and a post with a valid token is refused.
      const token = await page.locator('input[name=_csrf]').first().getAttribute('value');
      const ro = await serve(createDashboard({ store, basePath: '/errand', secret: SECRET, readOnly: true }).node);
      await page.goto(`${ro.url}/errand/schedules`);
      assert.ok((await inert(page, problems, 'read-only schedules')).includes(HOSTILE[0]!));
      assert.equal(await page.locator('form[method=post]').count(), 0, 'no mutation offered');
      for (const path of ['/schedules/run', '/schedules/pause', '/schedules/resume']) {
        const status = await page.evaluate(([url, body]) => fetch(url, { method: 'POST', body: new URLSearchParams(body) }).then((r) => r.status), [`${ro.url}/errand${path}`, { name: HOSTILE[0]!, _csrf: token! }] as const);
        assert.equal(status, 403, path);
      }
      // Same origin, writable, but without the token: refused too.
      await page.goto(`${base}/schedules`);
      assert.equal(await page.evaluate((url) => fetch(url, { method: 'POST', body: new URLSearchParams({ name: 'nightly' }) }).then((r) => r.status), `${base}/schedules/pause`), 403);
      assert.deepEqual((await schedules.list()).map((s) => s.paused), [false, false]);
      assert.equal((await store.admin().peek('ticks', 0, 10)).length, 1, 'no second run');
      await ro.close();
      await page.close();
    });
  });
}
