// The overview's jobs/s chart in a real headless Chromium, on both stores: real jobs run by a
// real worker show in the chart at once on load (the last hour comes from the per-minute job
// metrics with the first poll, not only from the time the tab has been open), live points follow
// every 3 s, and the toggle stops the polling. One browser for the file.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { createErrand, defineJob, type Errand } from '../src/index.ts';
import { createDashboard } from '../src/web/index.ts';
import { launchBrowser, openWatchedPage, serve } from './support/browser.ts';
import { quiet } from './support/errand.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';

const JOBS = 40;
let browser: { context: BrowserContext; close: () => Promise<void> };
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`jobs/s chart on ${kind}`, { timeout: 120_000 }, () => {
    let errand: Errand;
    let cleanup: () => Promise<void>;
    let site: Awaited<ReturnType<typeof serve>>;
    before(async () => {
      if (kind === 'sqlite') {
        const dir = await mkdtemp(join(tmpdir(), 'errand-chart-'));
        errand = createErrand({ url: `sqlite:${join(dir, 'errand.db')}`, logger: quiet });
        cleanup = () => rm(dir, { recursive: true, force: true });
      } else {
        const namespace = uniqueNamespace();
        errand = createErrand({ url: REDIS_URL, namespace, logger: quiet });
        cleanup = () => deleteNamespace(namespace);
      }
      // Real jobs through a real worker, all finished before the page opens: whatever rate the
      // chart shows above 0 can only come from the stored history, not from the live polls.
      const tick = defineJob({ name: 'ChartTick', queue: 'chart', async perform(_n: number) {} });
      const worker = errand.worker({ queues: 'chart', concurrency: 4 });
      await worker.start();
      await errand.enqueueBulk(tick, Array.from({ length: JOBS }, (_, i) => [i]));
      const admin = await errand.admin();
      await waitFor(`${JOBS} jobs processed`, async () => (await admin.stats()).processed === JOBS, 30_000);
      await worker.stop();
      site = await serve(createDashboard({ errand }).node);
    });
    after(async () => {
      await site?.close();
      await errand?.close();
      await cleanup?.();
    });

    it('draws the last hour at once, with the jobs just run above 0; live points follow; the toggle stops the polling', async () => {
      const { page, problems } = await openWatchedPage(browser.context);
      await page.goto(site.url);
      const chart = page.locator('#chart');
      const attr = async (name: string) => Number(await chart.getAttribute(name));
      await waitFor('the history drawn', async () => (await attr('data-history')) > 0, 20_000);
      assert.ok(await attr('data-history') >= 1 && await attr('data-history') <= 60, 'at most an hour of minutes');
      assert.ok(await attr('data-peak') > 0, 'the jobs run before loading show as a rate above 0');
      // Some drawn point stands above the baseline (y 156 of the 160-high box).
      const ys = (await chart.locator('polyline').getAttribute('points'))!.split(' ').map((p) => Number(p.split(',')[1]));
      assert.ok(Math.min(...ys) < 156, `a point above the baseline: ${ys.join(' ')}`);
      assert.match(await page.locator('#chart-rate').innerText(), /peak \S+ in the last hour/);
      // A live point from the processed counter follows the history.
      const history = await attr('data-history');
      await waitFor('a live point', async () => (await attr('data-points')) > history, 20_000);
      assert.match(await page.locator('#chart-rate').innerText(), /jobs\/s now/);
      await page.locator('#chart-toggle').click();
      assert.equal(await page.locator('#chart-toggle').getAttribute('aria-pressed'), 'true');
      const frozen = await attr('data-points');
      await page.waitForTimeout(4_000);
      assert.equal(await attr('data-points'), frozen, 'no poll while paused');
      assert.deepEqual(problems, []);
      await page.close();
    });
  });
}
