// Micro-batched single enqueues (src/storage/enqueue-batch.ts), on real Redis and a real SQLite
// file: the enqueues of one event-loop turn share one write, yet each caller gets its own job,
// its own outcome and its order, and a lone enqueue is written at once, not after a timer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { createErrand, defineJob, NotJsonSafeError, StoreError, type Errand } from '../src/index.ts';
import type { RedisStore } from '../src/storage/redis/store.ts';
import type { SqliteStore } from '../src/storage/sqlite/store.ts';
import { quiet, withErrand } from './support/errand.ts';
import { REDIS_URL } from './support/redis.ts';

const QUEUES = ['batch-a', 'batch-b', 'batch-c'] as const;
const jobs = QUEUES.map((queue, i) => defineJob({ name: `EnqueueBatchJob${i}`, queue, async perform(_caller: number, _index: number) {} }));

function withSqlite(fn: (errand: Errand, path: string) => Promise<void>, timeout?: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'errand-batch-'));
  const path = join(dir, 'jobs.db');
  const errand = createErrand({ url: `sqlite:${path}`, logger: quiet, jobs, ...(timeout ? { timeout } : {}) });
  return fn(errand, path).finally(async () => {
    await errand.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

/** Every stored payload's (caller, index) and id, per queue, in queue order. */
async function storedRedis(namespace: string): Promise<Map<string, { caller: number; index: number; id: string }[]>> {
  const redis = new Redis(REDIS_URL);
  try {
    const out = new Map<string, { caller: number; index: number; id: string }[]>();
    for (const queue of QUEUES) out.set(queue, (await redis.lrange(`${namespace}:queue:${queue}`, 0, -1)).map(parsed));
    return out;
  } finally {
    redis.disconnect();
  }
}

function storedSqlite(path: string): Map<string, { caller: number; index: number; id: string }[]> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT queue, payload FROM jobs ORDER BY queue, pos').all() as { queue: string; payload: string }[];
    return new Map(QUEUES.map((queue) => [queue, rows.filter((row) => row.queue === queue).map((row) => parsed(row.payload))]));
  } finally {
    db.close();
  }
}

function parsed(payload: string) {
  const job = JSON.parse(payload) as { args: [number, number]; id: string };
  return { caller: job.args[0], index: job.args[1], id: job.id };
}

/**
 * 50 callers × 20 enqueues, all issued in one turn (each caller's in order, without awaiting),
 * spread over three queues. Catches: a batch that drops, duplicates or reorders jobs, that mixes
 * up queues, or that hands one caller another's result.
 */
async function thousandAtOnce(errand: Errand, stored: () => Promise<Map<string, { caller: number; index: number; id: string }[]>>, batches: () => number) {
  const before = batches();
  const results = await Promise.all(Array.from({ length: 50 }, (_, caller) =>
    Promise.all(Array.from({ length: 20 }, (_, index) => errand.enqueue(jobs[caller % 3]!, caller, index)))));
  const ids = new Set<string>();
  results.forEach((callerResults, caller) => callerResults.forEach((job, index) => {
    assert.ok(job, 'every enqueue resolves to its job');
    assert.deepEqual(job.args, [caller, index], 'each caller gets its own job back');
    assert.equal(job.queue, QUEUES[caller % 3]);
    ids.add(job.id);
  }));
  assert.equal(ids.size, 1000, 'every job has its own id');
  const byQueue = await stored();
  let total = 0;
  for (const [queue, entries] of byQueue) {
    total += entries.length;
    for (const entry of entries) {
      assert.equal(QUEUES[entry.caller % 3], queue, 'a job lands in its own queue');
      assert.equal(entry.id, results[entry.caller]![entry.index]!.id, 'the stored id is the one the caller got');
    }
    for (let caller = 0; caller < 50; caller++) {
      const mine = entries.filter((entry) => entry.caller === caller).map((entry) => entry.index);
      if (QUEUES[caller % 3] === queue) assert.deepEqual(mine, Array.from({ length: 20 }, (_, i) => i), `caller ${caller}'s jobs, once each, in its order`);
    }
  }
  assert.equal(total, 1000, 'exactly the 1000 jobs were stored');
  // Sharing happened: far fewer writes than jobs (one per turn, at most 1000 jobs each).
  assert.ok(batches() - before <= 5, `1000 enqueues of one turn took ${batches() - before} writes`);
}

test('Redis: 1000 enqueues of one turn land once each, in their queues and per-caller order, in a few writes', async () => {
  await withErrand(async (errand, namespace) => {
    const store = (await errand.store()) as RedisStore;
    await thousandAtOnce(errand, () => storedRedis(namespace), () => store.enqueueBatch.batches);
  }, { jobs });
});

test('SQLite: 1000 enqueues of one turn land once each, in their queues and per-caller order, in a few transactions', async () => {
  await withSqlite(async (errand, path) => {
    const store = (await errand.store()) as SqliteStore;
    await thousandAtOnce(errand, async () => storedSqlite(path), () => store.enqueueBatch.batches);
  });
});

test('awaiting callers share writes too, and a bulk enqueue keeps its place after pending single ones', async () => {
  await withErrand(async (errand, namespace) => {
    const store = (await errand.store()) as RedisStore;
    const before = store.enqueueBatch.batches;
    await Promise.all(Array.from({ length: 50 }, async (_, caller) => {
      for (let index = 0; index < 10; index++) await errand.enqueue(jobs[0]!, caller, index);
    }));
    assert.ok(store.enqueueBatch.batches - before < 500 / 5, `500 awaited enqueues of 50 callers took ${store.enqueueBatch.batches - before} writes`);
    // Issued in this order without awaiting: the single one must stay ahead of the bulk.
    const single = errand.enqueue(jobs[1]!, 99, 0);
    const bulk = errand.enqueueBulk(jobs[1]!, [[99, 1], [99, 2]]);
    await Promise.all([single, bulk]);
    const stored = (await storedRedis(namespace)).get('batch-b')!;
    assert.deepEqual(stored.map((entry) => entry.index), [0, 1, 2]);
  }, { jobs });
});

test('an enqueue that fails its checks rejects alone; the rest of its turn is stored', async () => {
  await withErrand(async (errand, namespace) => {
    const outcomes = await Promise.allSettled([0, 1, 2, 3, 4].map((index) =>
      errand.enqueue(jobs[0]!, 7, index === 2 ? (undefined as unknown as number) : index)));
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.ok((outcomes[2] as PromiseRejectedResult).reason instanceof NotJsonSafeError);
    assert.deepEqual((await storedRedis(namespace)).get('batch-a')!.map((entry) => entry.index), [0, 1, 3, 4]);
  }, { jobs });
});

test('Redis: a failed write rejects every caller of its queue in the batch, and only those', async () => {
  await withErrand(async (errand, namespace) => {
    const redis = new Redis(REDIS_URL);
    try {
      // A queue key of the wrong type makes push.lua fail for that queue (WRONGTYPE).
      await redis.set(`${namespace}:queue:batch-a`, 'not a list');
      const outcomes = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((index) => errand.enqueue(jobs[index % 2]!, 1, index)));
      outcomes.forEach((outcome, index) => {
        if (index % 2 === 0) {
          assert.equal(outcome.status, 'rejected', `caller ${index} (broken queue) is rejected, not left waiting`);
          assert.ok((outcome as PromiseRejectedResult).reason instanceof StoreError);
        } else {
          assert.equal(outcome.status, 'fulfilled', `caller ${index} (healthy queue) is stored`);
        }
      });
      assert.deepEqual((await redis.lrange(`${namespace}:queue:batch-b`, 0, -1)).map((payload) => parsed(payload).index), [1, 3, 5]);
    } finally {
      redis.disconnect();
    }
  }, { jobs });
});

test('SQLite: a failed transaction rejects every caller of the batch', async () => {
  await withSqlite(async (errand, path) => {
    await errand.store();
    // Another connection holds the write lock past the busy timeout: the batch's transaction fails.
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const outcomes = await Promise.allSettled([0, 1, 2, 3].map((index) => errand.enqueue(jobs[index % 3]!, 2, index)));
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.ok((outcome as PromiseRejectedResult).reason instanceof StoreError);
      }
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assert.equal(storedSqlite(path).get('batch-a')!.length, 0, 'nothing of the failed batch was stored');
    assert.ok(await errand.enqueue(jobs[0]!, 2, 9), 'the next batch goes through');
  }, '100ms');
});

/**
 * Registers a timer and an immediate before the enqueue: if the enqueue's write waited for any
 * macrotask (a timer, setImmediate, I/O), one of them would run first and see nothing written.
 */
function checkedBeforeNextMacrotask(written: () => boolean): Promise<boolean[]> {
  const seen: boolean[] = [];
  return new Promise((resolve) => {
    setTimeout(() => seen.push(written()), 0);
    setImmediate(() => {
      seen.push(written());
      if (seen.length === 2) resolve(seen);
    });
    setTimeout(() => seen.length === 2 && resolve(seen), 5);
  });
}

test('Redis: a lone enqueue is written before the next macrotask', async () => {
  await withErrand(async (errand) => {
    const store = (await errand.store()) as RedisStore;
    await errand.enqueue(jobs[0]!, 0, 0); // connected, scripts loaded
    const stream = (store.redis as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
    const original = stream.write;
    const writes: string[] = [];
    stream.write = function (this: unknown, ...args: unknown[]) {
      writes.push(String(args[0]));
      return original.apply(this, args);
    };
    try {
      const checks = checkedBeforeNextMacrotask(() => writes.some((chunk) => chunk.includes('[31337,1]')));
      const enqueued = errand.enqueue(jobs[0]!, 31337, 1);
      assert.deepEqual(await checks, [true, true]);
      await enqueued;
    } finally {
      stream.write = original;
    }
  }, { jobs });
});

test('SQLite: a lone enqueue is committed before the next macrotask', async () => {
  await withSqlite(async (errand, path) => {
    await errand.store();
    const reader = new Database(path, { readonly: true });
    try {
      const count = reader.prepare('SELECT count(*) FROM jobs').pluck();
      const checks = checkedBeforeNextMacrotask(() => count.get() === 1);
      const enqueued = errand.enqueue(jobs[0]!, 1, 1);
      assert.deepEqual(await checks, [true, true]);
      await enqueued;
    } finally {
      reader.close();
    }
  });
});
