// A fresh Redis worker takes its first jobs without waiting for its wake-up subscription (a
// second connection: a connect and a ready check), and the jobs pushed while that subscription
// was still coming up are not missed: the first wait looks at the queues itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
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
