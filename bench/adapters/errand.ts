// errand, on Redis and on SQLite: the system under test. Configured as a user would: one
// createErrand() per process, a defineJob() no-op, enqueueBulk() for bulk, a worker with the
// given concurrency and every other option at its default (batched reserve up to 1000, adaptive
// prefetch, batched settle, pub/sub or WAL-watch wake-ups).
// The code under test is the built package when ERRAND_BENCH_BUILT names a build of this checkout
// (`npm run bench` makes one in .bench/dist), as an app runs it in production and as the peers
// run (plain JavaScript); without it, the sources through tsx, whose compiling on first load (in
// the worker and again in its lease thread) lands inside start-up figures.

import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type * as ErrandApi from '../../src/index.ts';
import type { Errand } from '../../src/index.ts';
import { deleteKeys, redisUsedMemory } from './redis-util.ts';
import { QUEUE, REDIS_URL, type Adapter, type ConsumerHooks } from './types.ts';

const built = process.env.ERRAND_BENCH_BUILT;
const { createErrand, defineJob }: typeof ErrandApi = built
  ? await import(pathToFileURL(join(resolve(built), 'index.mjs')).href)
  : await import('../../src/index.ts');

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
let onStart: (arg: number) => void = () => {};
// perform is async, like any real job; the hook lets one job definition serve every consumer.
const noop = defineJob({ name: 'BenchNoop', queue: QUEUE, async perform(arg: number) { onStart(arg); } });

const sqlitePath = (ns: string) => join(tmpdir(), `errand-bench-${ns}.db`);
const sqliteFiles = (ns: string) => ['', '-wal', '-shm'].map((suffix) => sqlitePath(ns) + suffix);

function open(store: 'redis' | 'sqlite', ns: string): Errand {
  const url = store === 'redis' ? REDIS_URL : `sqlite:${sqlitePath(ns)}`;
  // ERRAND_BENCH_METRICS=1 records Prometheus metrics in the workers (docs/performance.md: their cost).
  return createErrand({ url, namespace: ns, logger: quiet, jobs: [noop], metrics: process.env.ERRAND_BENCH_METRICS === '1' });
}

/**
 * The store's own processed counter, read directly: admin().stats() would also count every
 * waiting job (a scan of 1M rows on SQLite, on the worker's own thread), skewing the figure.
 */
async function processedCounter(store: 'redis' | 'sqlite', ns: string) {
  if (store === 'redis') {
    const redis = new Redis(REDIS_URL);
    return { read: async () => Number((await redis.get(`${ns}:stat:processed`)) ?? 0), close: () => redis.disconnect() };
  }
  const db = new Database(sqlitePath(ns), { readonly: true });
  const get = db.prepare("SELECT value FROM counters WHERE key = 'processed'").pluck();
  return { read: async () => Number(get.get() ?? 0), close: () => db.close() };
}

function errandAdapter(store: 'redis' | 'sqlite'): Adapter {
  return {
    name: `errand-${store}`,
    store,
    config: (store === 'redis' ? 'defaults (batched reserve/settle, pub/sub wake-ups)' : 'defaults, temp file (WAL)') + (built ? '; the built package' : '; the sources through tsx'),
    jobsAtConcurrency1: (jobs) => jobs,
    async producer(ns) {
      const errand = open(store, ns);
      await errand.store();
      return {
        enqueueOne: async (arg) => void (await errand.enqueue(noop, arg)),
        enqueueBulk: async (args) => void (await errand.enqueueBulk(noop, args.map((arg) => [arg] as [number]))),
        close: () => errand.close(),
      };
    },
    async consumer(ns, concurrency, hooks: ConsumerHooks) {
      const errand = open(store, ns);
      // Opens the store now and, on Redis, waits for its connection (as the peers' ready() do),
      // so start() is what gets timed, not the TCP connect.
      const opened = await errand.store();
      if (opened.kind === 'redis') await (opened as unknown as { redis: Redis }).redis.ping();
      const processed = await processedCounter(store, ns);
      onStart = hooks.onStart;
      const worker = errand.worker({ queues: QUEUE, concurrency });
      worker.on('completed', () => hooks.onDone());
      return {
        start: () => worker.start(),
        async settled(n) {
          while ((await processed.read()) < n) await new Promise((resolve) => setImmediate(resolve));
        },
        async stop() {
          await worker.stop();
          await errand.close();
          processed.close();
        },
      };
    },
    async storeBytes(ns) {
      if (store === 'redis') return redisUsedMemory();
      if (!existsSync(sqlitePath(ns))) return 0;
      // Fold the WAL into the main file first, so the figure is the data, not the log.
      const db = new Database(sqlitePath(ns));
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
      return sqliteFiles(ns).reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0);
    },
    async teardown(ns) {
      if (store === 'redis') return deleteKeys(`${ns}:`);
      for (const file of sqliteFiles(ns)) rmSync(file, { force: true });
    },
  };
}

export const errandRedis = errandAdapter('redis');
export const errandSqlite = errandAdapter('sqlite');
