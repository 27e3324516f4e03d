// The dashboard in a real headless Chromium, on both stores: every page renders (a screenshot
// of each goes under the temp folder), every action changes the store as shown, hostile strings
// in queue names, job classes, args, errors, backtraces and worker ids execute nothing and show
// as text, times show relative with UTC on hover, the overview fits a 390 px phone, a form posted
// from another origin or without the token changes nothing, and readOnly offers and accepts no
// change. One browser for the file (the chart: web-chart.test.ts).

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { Store } from '../src/storage/types.ts';
import { createDashboard } from '../src/web/index.ts';
import { clip } from '../src/web/format.ts';
import { freshStore, launchBrowser, openWatchedPage, serve } from './support/browser.ts';
import { waitFor } from './support/redis.ts';

const LONG = `long-${'L'.repeat(100_000)}`;
const HOSTILE = [
  '<script>window.__xss=1;alert(1)</script>',
  '"><img src=x onerror="window.__xss=2;alert(2)">',
  "'><svg onload=\"window.__xss=3;alert(3)\">",
  'javascript:window.__xss=4;alert(4)',
  'abc\u202Eevil\u202Cdef\u2066x\u2069',
];
const CORPUS = [...HOSTILE, LONG];
const workerId = (s: string) => `${s}:42:${s}`;
const job = (cls: string, args: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ class: cls, args, id: `id-${cls.slice(0, 20)}-${Math.random()}`, enqueued_at: Date.now() - 60_000, ...extra });
const SECRET = 'test-secret';

let browser: { context: BrowserContext; close: () => Promise<void> };
let shots = '';
before(async () => {
  browser = await launchBrowser();
  shots = await mkdtemp(join(tmpdir(), 'errand-web-shots-'));
});
after(async () => {
  await browser?.close();
  process.stdout.write(`# dashboard screenshots in ${shots}\n`);
});

/**
 * Puts the hostile corpus and the action fixtures in the store. Every corpus string (and the
 * 100 kB one) is a queue name, a job class (waiting, scheduled, running, failed and in the
 * metrics), an exception, an error message, a backtrace line and a worker id.
 */
async function seed(store: Store): Promise<void> {
  for (const [i, name] of CORPUS.entries()) await store.push([{ queue: name, payload: job(CORPUS[i]!, CORPUS) }]);
  await store.push(['a', 'b', 'c'].map((x) => ({ queue: 'mail', payload: job('Mail', [x]) })));
  await store.push([{ queue: HOSTILE[1]!, payload: 'not json <script>alert(9)</script>' }]);
  const worker = await store.register({ id: workerId(HOSTILE[0]!), queues: [HOSTILE[0]!], startedAt: new Date(), leaseMs: 120_000 });
  await store.heartbeat(worker, { workingOn: { queue: HOSTILE[0]!, payload: job(HOSTILE[0]!, []), runAt: new Date() } });
  for (const c of CORPUS.slice(1)) {
    const other = await store.register({ id: workerId(c), queues: [c], startedAt: new Date(), leaseMs: 120_000 });
    await store.heartbeat(other, { workingOn: { queue: c, payload: job(c, [c]), runAt: new Date() } });
  }
  const failing = [['Mail', 'mail'], ['Mail', 'mail'], ['Bill', 'bill'], ['Report', 'reports'], ['Temp', 'temp'], ...CORPUS.map((c) => [c, c])] as const;
  await store.push(failing.map(([cls, queue]) => ({ queue: 'failing', payload: job(cls, [queue]) })));
  const held = await store.reserve(worker, ['failing'], failing.length);
  await store.settle(worker, held.map((h, i) => {
    const [cls, queue] = failing[i]!;
    const hostile = CORPUS.includes(cls);
    // Each field carries the string with its own mark, so the checks can tell which field showed it.
    const entry = { failed_at: '2026/11/28 01:51:55 UTC', payload: JSON.parse(h.payload), exception: hostile ? cls : 'RuntimeError', error: hostile ? `error ${cls}` : `${cls} broke`, backtrace: hostile ? CORPUS.map((c) => `at ${c}`) : ['at x.ts:1'], worker: workerId(cls), queue };
    return { token: h.token, kind: 'failed' as const, entry: JSON.stringify(entry), jobClass: cls, ms: 3 };
  }));
  await store.schedule([
    { queue: 'later', payload: job('Later', [1]), runAt: Date.now() + 3_600_000 },
    { queue: 'later', payload: job('Later', [2]), runAt: Date.now() + 7_200_000 },
    ...CORPUS.map((c, i) => ({ queue: HOSTILE[0]!, payload: job(c, [HOSTILE[1]]), runAt: Date.now() + 9_000_000 + i })),
  ]);
}

const newPage = () => openWatchedPage(browser.context);

/** Nothing the data carried became markup or ran. */
async function assertInert(page: Page, problems: string[], where: string): Promise<void> {
  const state = await page.evaluate(() => ({
    xss: (window as unknown as { __xss?: number }).__xss,
    alerts: (window as unknown as { __alerts: string[] }).__alerts,
    scripts: [...document.scripts].map((s) => new URL(s.src || 'inline:', location.href).pathname),
    images: document.images.length,
    svgs: document.querySelectorAll('svg:not(#chart)').length,
    handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
    jsLinks: [...document.querySelectorAll('a')].filter((a) => a.href.startsWith('javascript:')).length,
  }));
  assert.deepEqual({ ...state, scripts: state.scripts.map((s) => s.endsWith('/assets/app.js')) }, { xss: undefined, alerts: [], scripts: [true], images: 0, svgs: 0, handlers: 0, jsLinks: 0 }, where);
  assert.deepEqual(problems, [], where);
}

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`dashboard on ${kind}`, { timeout: 240_000 }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let site: Awaited<ReturnType<typeof serve>>;
    let base = '';
    before(async () => {
      ({ store, cleanup } = await freshStore(kind));
      await seed(store);
      site = await serve(createDashboard({ store, basePath: '/errand', secret: SECRET }).node);
      base = `${site.url}/errand`;
    });
    after(async () => {
      await site?.close();
      await cleanup?.();
    });

    it('renders every page; hostile strings execute nothing and show as text', async () => {
      const { page, problems } = await newPage();
      const visit = async (path: string, name: string) => {
        const response = await page.goto(`${base}${path}`);
        assert.equal(response?.status(), 200, path);
        const headers = response!.headers();
        assert.match(headers['content-security-policy']!, /script-src 'self'; .*frame-ancestors 'none'/);
        assert.equal(headers['x-content-type-options'], 'nosniff');
        assert.equal(headers['referrer-policy'], 'same-origin');
        await page.screenshot({ path: join(shots, `${kind}-${name}.png`), fullPage: name !== 'queue' });
        await assertInert(page, problems, path);
        return page.locator('main').innerText();
      };
      const overview = await visit('', 'overview');
      for (const text of HOSTILE.slice(0, 4)) assert.ok(overview.includes(text), `queue name ${text} shown literally`);
      assert.ok(overview.includes(`${LONG.slice(0, 200)}…`) && !overview.includes(LONG.slice(0, 300)), 'the 100 kB queue name is shown clipped');
      assert.ok((await visit('/queues', 'queues')).includes(HOSTILE[4]!));
      const queue = await visit(`/queues/${encodeURIComponent(HOSTILE[0]!)}`, 'queue');
      assert.ok(queue.includes(`Queue ${HOSTILE[0]}`));
      await page.locator('details summary').first().click();
      assert.ok((await page.locator('details pre').first().innerText()).includes(HOSTILE[1]!.replace(/"/g, '\\"')), 'payload pretty-printed as text');
      const failed = await visit('/failed', 'failed');
      assert.ok(failed.includes('Bill broke'));
      // app.js shows times relative, in the viewer's zone; hovering gives the exact UTC time.
      const times = await page.locator('time[datetime]').evaluateAll((els) => els.map((el) => ({ iso: el.getAttribute('datetime')!, title: el.getAttribute('title') ?? '', text: el.textContent ?? '' })));
      assert.ok(times.length > 0, 'the failed list shows times');
      for (const t of times) {
        assert.ok(t.title.endsWith(`${t.iso.slice(0, 19).replace('T', ' ')} UTC`), `title ${t.title} gives ${t.iso} in UTC`);
        assert.match(t.text, / ago$|^in /, 'the text is relative (app.js ran)');
      }
      for (const c of CORPUS) assert.ok(failed.includes(clip(c, 80)) && failed.includes(`error ${c}`.slice(0, 140)), `class and error ${c.slice(0, 40)} in the failed list`);
      const details = await page.locator('tbody a[href*="/failed/"]').evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href));
      let hostileDetails = 0;
      for (const url of details) {
        await page.goto(url);
        await assertInert(page, problems, 'failure detail');
        const detail = await page.locator('main').innerText();
        const c = CORPUS.find((x) => detail.includes(`Failure: ${clip(x, 80)}`));
        if (c === undefined) continue;
        hostileDetails++;
        if (c === HOSTILE[0]) await page.screenshot({ path: join(shots, `${kind}-failure.png`), fullPage: false });
        assert.ok(detail.includes(`${clip(c, 200)} ${clip(`error ${c}`, 2000)}`), `exception and error ${c.slice(0, 40)} as text`);
        assert.ok(detail.includes(clip(workerId(c), 200)), `worker ${c.slice(0, 40)} as text`);
        for (const line of CORPUS) assert.ok(detail.includes(`at ${line}`), `backtrace line ${line.slice(0, 40)} as text, whole`);
      }
      assert.equal(hostileDetails, CORPUS.length, 'every hostile failure has its detail page');
      const scheduled = await visit('/scheduled', 'scheduled');
      for (const c of CORPUS) assert.ok(scheduled.includes(clip(c, 80)), `scheduled class ${c.slice(0, 40)}`);
      const workers = await visit('/workers', 'workers');
      for (const c of CORPUS) assert.ok(workers.includes(clip(workerId(c), 160)) && workers.includes(`${clip(c, 80)} on ${clip(c, 60)} since`), `worker ${c.slice(0, 40)} and what it runs`);
      const metrics = await visit('/job-metrics', 'job-metrics');
      for (const c of CORPUS) assert.ok(metrics.includes(clip(c, 120)), `metrics class ${c.slice(0, 40)}`);
      // A phone: the overview (a 200-character queue name without a break included) fits the
      // width; wide tables scroll inside their box, not the page.
      await page.setViewportSize({ width: 390, height: 844 });
      await visit('', 'overview-phone');
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, 'no sideways scroll on a 390 px phone');
      if (kind === 'sqlite') {
        await page.emulateMedia({ colorScheme: 'dark' });
        await visit('/failed', 'failed-phone-dark');
      }
      await page.close();
    });

    it('every action changes the store as shown', async () => {
      const admin = store.admin();
      const { page, problems } = await newPage();
      const notice = () => page.locator('.notice').innerText();
      // Queues: delete one, then clear with a confirmation naming the count.
      await page.goto(`${base}/queues/mail`);
      const before = await admin.peek('mail', 0, 10);
      await page.locator('button', { hasText: 'Delete' }).first().click();
      assert.equal(await notice(), 'Removed.');
      assert.deepEqual(await admin.peek('mail', 0, 10), before.slice(1));
      await page.locator('a', { hasText: 'Clear queue' }).click();
      assert.ok((await page.locator('main').innerText()).includes('2 waiting jobs'));
      await page.locator('button', { hasText: 'Delete 2 jobs' }).click();
      assert.equal(await notice(), 'Deleted 2 waiting jobs.');
      assert.deepEqual(await admin.peek('mail', 0, 10), []);
      // Failed: retry one, remove one, retry and remove all matching a filter.
      const count = await admin.failedCount();
      await page.goto(`${base}/failed`);
      await page.locator('tr', { hasText: 'Report broke' }).locator('button', { hasText: 'Retry' }).click();
      assert.equal(await notice(), 'Queued again as a fresh first attempt.');
      assert.equal(JSON.parse((await admin.peek('reports', 0, 1))[0]!).class, 'Report');
      await page.locator('tr', { hasText: 'Temp broke' }).locator('button', { hasText: 'Remove' }).click();
      assert.equal(await admin.failedCount(), count - 2);
      await page.goto(`${base}/failed?class=Mail`);
      assert.equal(await page.locator('tbody tr').count(), 2, 'the filter shows the two Mail failures');
      await page.locator('button', { hasText: 'Retry matching' }).click();
      assert.equal(await notice(), 'Queued 2 jobs again.');
      assert.equal((await admin.peek('mail', 0, 10)).length, 2);
      await page.fill('input[name=class]', 'Bill');
      await page.locator('button', { hasText: 'Filter' }).click();
      await page.locator('button', { hasText: 'Remove matching' }).click();
      assert.equal(await notice(), 'Removed 1 failure.');
      assert.deepEqual((await admin.failed(0, 10)).map((f) => (f.entry!.payload as { class: string }).class), CORPUS);
      // Scheduled: run one now, delete one.
      await page.goto(`${base}/scheduled`);
      await page.locator('tbody button', { hasText: 'Run now' }).first().click();
      assert.equal(await notice(), 'Queued to run now.');
      assert.equal(JSON.parse((await admin.peek('later', 0, 1))[0]!).args[0], 1);
      await page.locator('tbody button', { hasText: 'Delete' }).first().click();
      assert.deepEqual((await admin.scheduled(0, 10)).map((e) => e.queue), CORPUS.map(() => HOSTILE[0]));
      // Overview: pause and resume every worker.
      await page.goto(base);
      await page.locator('button', { hasText: 'Pause all workers' }).click();
      assert.equal((await admin.stats()).paused, true);
      await page.locator('button', { hasText: 'Resume all workers' }).click();
      assert.equal((await admin.stats()).paused, false);
      assert.deepEqual(problems, []);
      await page.close();
    });

    it('a post from another origin or without the token changes nothing; readOnly shows and takes no change', async () => {
      const admin = store.admin();
      const { page } = await newPage();
      await page.goto(base);
      const token = await page.locator('input[name=_csrf]').first().getAttribute('value');
      // Another origin (another port: same site, not same origin), even holding a valid token.
      const evil = await serve((_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(`<form method="post" action="${base}/pause"><input name="_csrf" value="${token}"><input name="paused" value="1"></form><script>document.forms[0].submit()</script>`);
      });
      const refused = page.waitForResponse((r) => r.url() === `${base}/pause`);
      await page.goto(evil.url);
      assert.equal((await refused).status(), 403);
      await evil.close();
      // Same origin without the token.
      await page.goto(base);
      assert.equal(await page.evaluate((url) => fetch(url, { method: 'POST', body: new URLSearchParams({ paused: '1' }) }).then((r) => r.status), `${base}/pause`), 403);
      assert.equal((await admin.stats()).paused, false, 'nothing was paused');
      // Read-only: no forms at all, and a well-formed post with a valid token is refused.
      const ro = await serve(createDashboard({ store, basePath: '/errand', secret: SECRET, readOnly: true }).node);
      // Closed even when a check fails: a server left listening would keep the test process alive.
      try {
        const sizes = (await admin.stats()).queues.map((q) => q.size);
        for (const path of ['', '/queues/mail', '/failed', '/scheduled']) {
          await page.goto(`${ro.url}/errand${path}`);
          assert.equal(await page.locator('form[method=post]').count(), 0, `no mutation offered on ${path || '/'}`);
        }
        for (const [path, fields] of [['/pause', { paused: '1' }], ['/queues/mail/pause', { paused: '1' }], ['/queues/mail/clear', {}], ['/failed/remove-all', {}], ['/failed/retry-all', {}]] as const) {
          const status = await page.evaluate(([url, body]) => fetch(url, { method: 'POST', body: new URLSearchParams(body) }).then((r) => r.status), [`${ro.url}/errand${path}`, { ...fields, _csrf: token! }] as const);
          assert.equal(status, 403, path);
        }
        assert.equal((await admin.stats()).paused, false);
        assert.deepEqual(await admin.pausedQueues(), [], 'no queue was paused');
        assert.deepEqual((await admin.stats()).queues.map((q) => q.size), sizes);
        assert.equal(await admin.failedCount(), CORPUS.length);
      } finally {
        await ro.close();
      }
      await page.close();
    });
  });
}
