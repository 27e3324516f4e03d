// Regenerates docs/dashboard.png, the README's screenshot: a real worker runs real jobs on a
// temporary SQLite store for a few minutes at a rate that rises and falls (so the chart's last
// hour has a shape), a backlog, scheduled jobs and failures are left in place, and a headless
// Chromium (test/support's launcher) photographs the Overview at 1280×900 once live points
// have joined the history. Nothing shown is faked; the minutes it waits are the chart's data.
//
//   node --import tsx bench/dashboard-screenshot.ts [minutes=3] [out=docs/dashboard.png]

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createErrand, defineJob } from '../src/index.ts';
import { createDashboard } from '../src/web/index.ts';
import { launchBrowser, serve } from '../test/support/browser.ts';

const minutes = Number(process.argv[2] ?? 3);
const out = process.argv[3] ?? 'docs/dashboard.png';
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

const dir = await mkdtemp(join(tmpdir(), 'errand-shot-'));
const errand = createErrand({ url: `sqlite:${join(dir, 'errand.db')}`, logger: quiet });
const sendEmail = defineJob({ name: 'SendWelcomeEmail', queue: 'mailers', retry: { attempts: 1 }, async perform(user: number) {
  await sleep(20 + Math.random() * 30);
  if (user % 97 === 0) throw new Error('421 4.7.0 smtp.example.com: try again later');
} });
const resize = defineJob({ name: 'ResizeImage', queue: 'default', async perform(_id: number) { await sleep(30 + Math.random() * 40); } });
const report = defineJob({ name: 'MonthlyReport', queue: 'reports', async perform(_month: string) { await sleep(200); } });

const workers = [errand.worker({ queues: 'mailers,default', concurrency: 8 }), errand.worker({ queues: 'reports', concurrency: 2 })];
for (const w of workers) await w.start();
const site = await serve(createDashboard({ errand }).node);

// Load in waves: a few jobs per second, more in the middle of the run, and more reports than
// their worker keeps up with (a backlog). It goes on while the page is photographed.
const start = Date.now();
const span = minutes * 60_000;
let n = 0;
let loading = true;
const load = (async () => {
  while (loading) {
    const phase = Math.max(0, 1 - Math.abs(((Date.now() - start) / span) * 2 - 1));
    const batch = Math.round(4 + 16 * phase + Math.random() * 4);
    await errand.enqueueBulk(sendEmail, Array.from({ length: batch }, () => [++n]));
    await errand.enqueueBulk(resize, Array.from({ length: Math.ceil(batch / 2) }, () => [++n]));
    await errand.enqueueBulk(report, Array.from({ length: 12 }, (_, i) => [`2026-${String((n + i) % 12 + 1).padStart(2, '0')}`]));
    await sleep(1_000);
  }
})();
await errand.enqueueIn(3_600_000, report, '2026-11');
await errand.enqueueIn(7_200_000, report, '2026-12');
await sleep(span);

const browser = await launchBrowser();
const page = await browser.context.newPage();
await page.goto(site.url);
// The history comes with the first poll; wait for a few live points after it.
await page.waitForFunction(() => Number(document.getElementById('chart')?.getAttribute('data-points')) > Number(document.getElementById('chart')?.getAttribute('data-history')) + 3, undefined, { timeout: 60_000 });
await page.screenshot({ path: out, fullPage: false });
console.log(`wrote ${out}`);
await browser.close();
await site.close();
loading = false;
await load;
for (const w of workers) await w.stop();
await errand.close();
await rm(dir, { recursive: true, force: true });
