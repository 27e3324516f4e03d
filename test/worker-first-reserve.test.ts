// A fresh Redis worker takes its first jobs without waiting for its wake-up subscription (a
// second connection: a connect and a ready check), and the jobs pushed while that subscription
// was still coming up are not missed: the first wait looks at the queues itself. Its first jobs
// come in the same write as its registration, and only when they are that registration's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createErrand, defineJob } from '../src/index.ts';
import { RedisStore } from '../src/storage/redis/store.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace } from './support/redis.ts';

const payload = (id: string) => JSON.stringify({ class: 'FirstReserveJob', args: [], id, queue: 'q', enqueued_at: 0, attempt: 1 });

async function withStores(fn: (store: RedisStore, producer: RedisStore) => Promise<void>): Promise<void> {
  const namespace = uniqueNamespace('first-reserve');
  const options = { url: REDIS_URL, namespace, commandTimeoutMs: 5_000 };
  const store = new RedisStore(options);
  const producer = new RedisStore(options);
  try {
    await fn(store, producer);
  } finally {
    await Promise.all([store.close(), producer.close()]);
    await deleteNamespace(namespace);
  }
}

const registration = { id: 'host:1:q', queues: ['q'], startedAt: new Date(), concurrency: 1 };

test('the first reserve is sent before the wake-up subscription is up (catches: start waits for a second connection)', async () => {
  await withStores(async (store, producer) => {
    await producer.push([{ queue: 'q', payload: payload('a') }]);
    const id = await store.register(registration);
    const subscriber = () => (store as unknown as { subscriber?: { status: string } }).subscriber?.status;
    assert.notEqual(subscriber(), 'ready', 'registering did not wait for the subscription');
    // The subscriber's state at the moment each command reaches the main connection's socket.
    const stream = (store.redis as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
    const original = stream.write;
    const statesAtWrite: (string | undefined)[] = [];
    stream.write = function (this: unknown, ...args: unknown[]) {
      statesAtWrite.push(subscriber());
      return original.apply(this, args);
    };
    const reserving = store.reserve(id, ['q'], 10);
    await reserving.finally(() => (stream.write = original));
    assert.ok(statesAtWrite.length > 0 && statesAtWrite[0] !== 'ready', `the reserve went out before the subscription was up (subscriber: ${statesAtWrite[0]})`);
    assert.equal((await reserving).length, 1);
  });
});

test('a push announced before the subscription was up still ends the first wait (catches: a lost wake-up)', async () => {
  await withStores(async (store, producer) => {
    const id = await store.register(registration);
    assert.deepEqual(await store.reserve(id, ['q'], 10), []);
    // Pushed at once: its announcement is most likely published before the subscriber listens.
    await producer.push([{ queue: 'q', payload: payload('b') }]);
    let woke = false;
    const wait = store.waitForWork(id, ['q'], 30_000).then(() => (woke = true));
    const timeout = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
    await Promise.race([wait, timeout]);
    assert.equal(woke, true, 'the wait did not see the job pushed while subscribing');
    assert.equal((await store.reserve(id, ['q'], 10)).length, 1);
  });
});

/** Counts the writes to the store's main connection while `run` runs. */
async function writesDuring<T>(store: RedisStore, run: () => Promise<T>): Promise<{ result: T; writes: number }> {
  const stream = (store.redis as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
  const original = stream.write;
  let writes = 0;
  stream.write = function (this: unknown, ...args: unknown[]) {
    writes++;
    return original.apply(this, args);
  };
  try {
    return { result: await run(), writes };
  } finally {
    stream.write = original;
  }
}

test('registerAndReserve: the registration and the first jobs in one write; the jobs are the new instance\'s, the first startNow of them started', async () => {
  await withStores(async (store, producer) => {
    await producer.push(['a', 'b', 'c'].map((id) => ({ queue: 'q', payload: payload(id) })));
    await store.redis.ping();
    const { result, writes } = await writesDuring(store, () => store.registerAndReserve(registration, ['q'], 10, 2));
    assert.equal(writes, 1, 'one write for both scripts');
    assert.equal(result.instance, registration.id, 'the Resque id itself: no live instance held it');
    assert.deepEqual(result.jobs.map((job) => JSON.parse(job.payload).id), ['a', 'b', 'c']);
    const raw = new Redis(REDIS_URL);
    try {
      const ns = store.keys.namespace;
      assert.deepEqual(Object.keys(await raw.hgetall(`${ns}:errand:inflight:${result.instance}`)).sort(), result.jobs.map((job) => job.token).sort());
      assert.equal(await raw.llen(`${ns}:queue:q`), 0);
      assert.equal(await raw.hget(`${ns}:errand:instance:${result.instance}`, 'started'), String(Number(result.jobs[0]!.token) + 1), 'the watermark covers the two started at once');
    } finally {
      raw.disconnect();
    }
    assert.equal((await store.settle(result.instance, result.jobs.map((job) => ({ kind: 'done' as const, token: job.token, queue: 'q' })))).settled, 3, 'they settle as the instance\'s jobs');
  });
});

test('registerAndReserve: when a live instance holds the Resque id, the new one gets its own id and takes nothing, and the live one\'s jobs are untouched (catches: a first reserve that trusts the id it hoped for)', async () => {
  await withStores(async (store, producer) => {
    const live = await producer.register(registration);
    assert.equal(live, registration.id);
    await producer.push(['a', 'b'].map((id) => ({ queue: 'q', payload: payload(id) })));
    const { instance, jobs } = await store.registerAndReserve(registration, ['q'], 10, 1);
    assert.match(instance, /^host:1:q#[0-9a-f]{8}$/);
    assert.deepEqual(jobs, [], 'nothing taken in the same write');
    const raw = new Redis(REDIS_URL);
    try {
      const ns = store.keys.namespace;
      assert.equal(await raw.hlen(`${ns}:errand:inflight:${live}`), 0, 'the live instance holds nothing it did not take');
      assert.equal(await raw.llen(`${ns}:queue:q`), 2, 'the jobs are still waiting');
    } finally {
      raw.disconnect();
    }
    assert.deepEqual((await store.reserve(instance, ['q'], 10)).map((job) => JSON.parse(job.payload).id), ['a', 'b'], 'its usual reserve takes them');
  });
});

test('a Redis worker\'s start() resolves with its first job already running (its jobs came with the registration)', async () => {
  const namespace = uniqueNamespace('first-reserve');
  const started: number[] = [];
  const job = defineJob({ name: 'FirstJobAtStart', queue: 'first-at-start', perform(n: number) { started.push(n); } });
  const errand = createErrand({ url: REDIS_URL, namespace, logger: { info() {}, warn() {}, error() {}, debug() {} } });
  try {
    await errand.enqueueBulk(job, [[1], [2]]);
    const worker = await errand.makeWorker({ queues: ['first-at-start'], concurrency: 1 });
    try {
      await worker.start();
      assert.equal(started[0], 1, 'the first job started within start()');
    } finally {
      await worker.stop();
    }
  } finally {
    await errand.close();
    await deleteNamespace(namespace);
  }
});
