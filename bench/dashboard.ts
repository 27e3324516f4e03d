// `npm run bench:dashboard`: how fast each dashboard page answers with a big store behind it —
// 1M waiting jobs in one queue and 100k entries in the failed list (and 10k scheduled), on Redis
// and on SQLite. Each page is asked 1 + ROUNDS times through the dashboard's fetch handler (what
// an HTTP request costs minus the socket); prints the median and the slowest per page. Seeding
// writes through the stores' own bulk calls (push; reserve + settle for failures), so the data is
// laid out exactly as production leaves it. Options: --waiting N --failed N --rounds R.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { openStore } from '../src/storage/open.ts';
import type { Store } from '../src/storage/types.ts';
import { createDashboard } from '../src/web/index.ts';
import { refOf } from '../src/web/format.ts';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const WAITING = flag('waiting', 1_000_000);
const FAILED = flag('failed', 100_000);
const ROUNDS = flag('rounds', 7);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHUNK = 10_000;

const job = (i: number, queue: string) => JSON.stringify({ class: 'BenchMail', args: [i, 'user@example.com'], id: `bench-${queue}-${i}`, enqueued_at: Date.now() / 1000 });

async function seed(store: Store): Promise<void> {
  for (let i = 0; i < WAITING; i += CHUNK) {
    await store.push(Array.from({ length: Math.min(CHUNK, WAITING - i) }, (_, k) => ({ queue: 'big', payload: job(i + k, 'big') })));
  }
  const worker = await store.register({ id: 'bench:1:doomed', queues: ['doomed'], startedAt: new Date(), leaseMs: 3_600_000 });
  // Reserve takes at most a few thousand per call (Lua's unpack limit); workers take far fewer.
  for (let i = 0; i < FAILED; i += 1_000) {
    const n = Math.min(1_000, FAILED - i);
    await store.push(Array.from({ length: n }, (_, k) => ({ queue: 'doomed', payload: job(i + k, 'doomed') })));
    const held = await store.reserve(worker, ['doomed'], n);
    await store.settle(worker, held.map((h) => ({
      token: h.token, kind: 'failed' as const, queue: 'doomed', jobClass: 'BenchMail', ms: 12,
      entry: JSON.stringify({ failed_at: '2026/12/01 00:00:00 UTC', payload: JSON.parse(h.payload), exception: 'RuntimeError', error: 'smtp said no', backtrace: ['a.ts:1', 'b.ts:2'], worker, queue: 'doomed' }),
    })));
  }
  await store.schedule(Array.from({ length: 10_000 }, (_, i) => ({ queue: 'later', payload: job(i, 'later'), runAt: Date.now() + 3_600_000 + i })));
}

async function measure(kind: string, store: Store): Promise<void> {
  const dashboard = createDashboard({ store, secret: 'bench' });
  const admin = store.admin();
  const [lastFailure] = await admin.failed(FAILED - 1, 1);
  const paths: [string, string][] = [
    ['overview', '/'], ['stats.json (the live chart, every 3 s)', '/stats.json'], ['queues', '/queues'],
    ['queue, first page', '/queues/big'], ['queue, last page', `/queues/big?page=${Math.floor((WAITING - 1) / 25)}`],
    ['failed, newest', '/failed'], ['failed, oldest page', `/failed?page=${Math.floor((FAILED - 1) / 25)}`],
    ['failed, filtered by error text', '/failed?error=smtp'], ['a failure', `/failed/${FAILED - 1}?ref=${refOf(lastFailure!.raw)}`],
    ['scheduled', '/scheduled'], ['scheduled, filtered by queue', '/scheduled?queue=later'], ['scheduled, filter matching nothing', '/scheduled?class=NoSuchJob'], ['clear-queue confirmation', '/queues/big/clear'],
    ['schedules', '/schedules'], ['workers', '/workers'], ['job metrics, 24 h', '/job-metrics?window=1440'],
    ['a job by id (near the queue head)', '/jobs/bench-big-10'], ['a job by id (unknown: full scan)', '/jobs/no-such-id'],
  ];
  console.log(`\n${kind}: ${WAITING.toLocaleString('en')} waiting, ${FAILED.toLocaleString('en')} failed, 10,000 scheduled; ${ROUNDS} timed requests per page\n`);
  console.log('| page | median ms | slowest ms |\n|---|---|---|');
  for (const [label, path] of paths) {
    const times: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const started = performance.now();
      const response = await dashboard.fetch(new Request(`http://bench.local${path}`));
      await response.text();
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
      if (round > 0) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(`| ${label} | ${times[Math.floor(times.length / 2)]!.toFixed(1)} | ${times.at(-1)!.toFixed(1)} |`);
  }
}

async function main(): Promise<void> {
  const namespace = `errand-bench-dashboard-${process.pid}`;
  const redis = await openStore(REDIS_URL, { namespace });
  const dir = mkdtempSync(join(tmpdir(), 'errand-bench-dashboard-'));
  const sqlite = await openStore(`sqlite:${join(dir, 'errand.db')}`);
  try {
    for (const [kind, store] of [['redis', redis], ['sqlite', sqlite]] as const) {
      const seeded = performance.now();
      await seed(store);
      console.log(`${kind}: seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
      await measure(kind, store);
    }
  } finally {
    await Promise.all([redis.close(), sqlite.close()]);
    rmSync(dir, { recursive: true, force: true });
    const cleaner = new Redis(REDIS_URL);
    for (let cursor = '0'; ;) {
      const [next, keys] = await cleaner.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      if (keys.length > 0) await cleaner.unlink(...keys);
      if ((cursor = next) === '0') break;
    }
    cleaner.disconnect();
  }
}

await main();
