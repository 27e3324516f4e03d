// `npm run bench:dashboard-load`: does an open dashboard slow the workers? A worker child (the
// bench's child.ts, errand at defaults, concurrency 10) drains a queue of JOBS no-op jobs filled
// beforehand, once with nobody looking and once with VIEWERS simulated
// overview tabs polling /stats.json every 3 s (the first poll with ?history=1, as app.js does)
// plus one tab following a look-up of an id no job has (/jobs/<id>: the worst case, a scan of
// everything; it goes on 50 ms after each "still looking" step, as app.js does, and starts over
// 3 s after each answer). The dashboard is served over
// node:http from this process, the workers' store from theirs. Runs alternate (without/with,
// then with/without) on both stores; prints processed/s both ways: JOBS over the time from the
// worker's start until the store's processed counter says all are done (child.ts's `done`).
// Options: --jobs N (queued per run) --rounds R --viewers V.

import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAdapter } from './adapters/index.ts';
import { REDIS_URL } from './adapters/types.ts';
import { WorkerProcess } from './worker-process.ts';
import { openStore } from '../src/storage/open.ts';
import { createDashboard } from '../src/web/index.ts';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const JOBS = flag('jobs', 200_000);
const ROUNDS = flag('rounds', 2);
const VIEWERS = flag('viewers', 3);
const POLL_MS = 3_000;
// The errand adapter's SQLite file for a namespace (bench/adapters/errand.ts names it so).
const sqliteUrl = (ns: string) => `sqlite:${join(tmpdir(), `errand-bench-${ns}.db`)}`;

/** Dashboard tabs until `stop` says so: VIEWERS on the overview and one following a job look-up. */
async function viewers(base: string, lookFor: string, stop: () => boolean): Promise<number> {
  let requests = 0;
  const get = async (path: string) => { requests++; const r = await fetch(`${base}${path}`); return r.text(); };
  const overview = async (offset: number) => {
    await sleep(offset);
    for (let first = true; !stop(); first = false, await sleep(POLL_MS)) await get(first ? '/stats.json?history=1' : '/stats.json');
  };
  const lookUp = async () => {
    for (let path = `/jobs/${lookFor}`; !stop();) {
      const page = await get(path);
      const more = /id="keep-looking" href="([^"]+)"/.exec(page)?.[1];
      if (more) { path = more.replace(/&amp;/g, '&'); await sleep(50); } // app.js goes on after 50 ms
      else { path = `/jobs/${lookFor}`; await sleep(POLL_MS); }
    }
  };
  await Promise.all([...Array.from({ length: VIEWERS }, (_, i) => overview((POLL_MS / VIEWERS) * i)), lookUp()]);
  return requests;
}

async function run(store: 'redis' | 'sqlite', watched: boolean): Promise<{ rate: number; requests: number }> {
  const ns = `errand-bench-load-${process.pid}-${Date.now()}`;
  const adapter = await loadAdapter(`errand-${store}`);
  const producer = await adapter.producer(ns);
  for (let i = 0; i < JOBS; i += 10_000) await producer.enqueueBulk(Array.from({ length: Math.min(10_000, JOBS - i) }, (_, k) => i + k));
  await producer.close();
  const dashStore = await openStore(store === 'redis' ? REDIS_URL : sqliteUrl(ns), { namespace: ns });
  const server = createServer(createDashboard({ store: dashStore, basePath: '' }).node);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const worker = new WorkerProcess({ system: `errand-${store}`, ns, concurrency: 10, expect: JOBS, latency: false });
  let done = false;
  try {
    await worker.next('ready');
    // The viewers look for an id no job has: the look-up's worst case, a full scan each time.
    const looking = watched ? viewers(base, 'no-such-job', () => done) : Promise.resolve(0);
    worker.send({ cmd: 'start' });
    const { ms } = await worker.next('done', 600_000);
    done = true;
    return { rate: JOBS / (ms / 1000), requests: await looking };
  } finally {
    done = true;
    await worker.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dashStore.close();
    await adapter.teardown(ns);
  }
}

console.log(`${JOBS.toLocaleString('en')} no-op jobs queued per run, drained by one worker concurrency 10, ${VIEWERS} overview tabs + 1 job look-up tab\n`);
console.log('| store | round | without dashboard, jobs/s | with dashboard, jobs/s | dashboard requests |\n|---|---|---|---|---|');
for (let round = 1; round <= ROUNDS; round++) {
  for (const store of ['redis', 'sqlite'] as const) {
    // Alternating which goes first, so a machine that slows down over the run favours neither.
    const order = round % 2 === 1 ? [false, true] : [true, false];
    const results: Record<string, { rate: number; requests: number }> = {};
    for (const watched of order) results[String(watched)] = await run(store, watched);
    console.log(`| ${store} | ${round} | ${results.false!.rate.toFixed(0)} | ${results.true!.rate.toFixed(0)} | ${results.true!.requests} |`);
  }
}
// Some client (a keep-alive socket, a driver's timer) can outlive its close; the figures are out.
process.exit(0);
