// The Redis store: the conformance suite, plus Resque compatibility of the key layout (what Ruby
// Resque and resque-web read and write). Real Redis at REDIS_URL or redis://127.0.0.1:6379; each
// case gets its own namespace, whose keys are deleted afterwards.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { openStore } from '../src/storage/open.ts';
import type { Store } from '../src/storage/types.ts';
import { runStoreConformance } from './conformance/suite.ts';
import { deleteNamespace, loseNextScriptReply, REDIS_URL, uniqueNamespace } from './support/redis.ts';

async function openRedis() {
  const namespace = uniqueNamespace();
  const open = () => openStore(REDIS_URL, { namespace });
  return { store: await open(), another: open, cleanup: () => deleteNamespace(namespace), namespace };
}

runStoreConformance('redis', openRedis);

describe('redis store: Resque compatibility', () => {
  let namespace = '';
  let store: Store;
  let raw: Redis;

  const fixture = async () => {
    namespace = uniqueNamespace();
    store = await openStore(REDIS_URL, { namespace });
    raw = new Redis(REDIS_URL);
  };
  const teardown = async () => {
    await store.close();
    raw.disconnect();
    await deleteNamespace(namespace);
  };
  const compat = (name: string, body: () => Promise<void>) =>
    test(name, { timeout: 20_000 }, async () => {
      await fixture();
      try {
        await body();
      } finally {
        await teardown();
      }
    });

  compat('push registers the queue in <ns>:queues and RPUSHes the payload byte for byte to <ns>:queue:<q>', async () => {
    const payloads = ['{"class":"SendWelcomeEmail","args":[42],"id":"x1","queue":"email","enqueued_at":1700000000,"attempt":1}', '{"class":"B","args":["ü\\n"]}'];
    await store.push(payloads.map((payload) => ({ queue: 'email', payload })));
    assert.deepEqual(await raw.smembers(`${namespace}:queues`), ['email']);
    assert.equal(await raw.type(`${namespace}:queue:email`), 'list');
    assert.deepEqual(await raw.lrange(`${namespace}:queue:email`, 0, -1), payloads);
  });

  compat('a job RPUSHed by Ruby Resque 3 is reserved unchanged', async () => {
    const resque = '{"class":"Archive","args":[44,"masterbrew"]}';
    await raw.sadd(`${namespace}:queues`, 'file_serve');
    await raw.rpush(`${namespace}:queue:file_serve`, resque);
    const id = 'ruby-host:4242:file_serve';
    await store.register({ id, queues: ['file_serve'], startedAt: new Date() });
    const star = await store.reserve(id, '*', 10);
    assert.deepEqual(star.map((j) => [j.queue, j.payload]), [['file_serve', resque]]);
    assert.equal(await raw.llen(`${namespace}:queue:file_serve`), 0, 'moved out of the Resque list');
  });

  compat('register and heartbeat write <ns>:workers, <ns>:workers:heartbeat and <ns>:worker:<id>:started', async () => {
    const id = 'web-1:1234:high,low';
    const startedAt = new Date('2026-11-28T01:51:55.500Z');
    await store.register({ id, queues: ['high', 'low'], startedAt });
    assert.deepEqual(await raw.smembers(`${namespace}:workers`), [id]);
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
    const registered = await raw.hget(`${namespace}:workers:heartbeat`, id);
    assert.match(registered ?? '', iso);
    assert.ok(Math.abs(Date.parse(registered!) - Date.now()) < 60_000, `heartbeat ${registered} is about now`);
    assert.equal(await raw.get(`${namespace}:worker:${id}:started`), '2026-11-28 01:51:55 +0000');
    await raw.hset(`${namespace}:workers:heartbeat`, id, '2000-01-01T00:00:00Z');
    assert.equal((await store.heartbeat(id, { workingOn: null })).known, true);
    const renewed = await raw.hget(`${namespace}:workers:heartbeat`, id);
    assert.match(renewed ?? '', iso);
    assert.notEqual(renewed, '2000-01-01T00:00:00Z', 'heartbeat renews the Resque field');
    assert.equal(await raw.exists(`${namespace}:worker:${id}`), 0, 'not working on anything');
  });

  compat('heartbeat with workingOn writes <ns>:worker:<id> as {"queue","run_at","payload"}', async () => {
    const id = 'web-1:1234:email';
    const payload = '{"class":"SendWelcomeEmail","args":[42],"id":"abc"}';
    await store.register({ id, queues: ['email'], startedAt: new Date() });
    await store.heartbeat(id, { workingOn: { queue: 'email', payload, runAt: new Date('2026-11-28T01:51:55.900Z') } });
    const text = await raw.get(`${namespace}:worker:${id}`);
    assert.equal(text, `{"queue":"email","run_at":"2026-11-28T01:51:55Z","payload":${payload}}`);
    assert.deepEqual(JSON.parse(text!), { queue: 'email', run_at: '2026-11-28T01:51:55Z', payload: JSON.parse(payload) });
    await store.heartbeat(id, { workingOn: null });
    assert.equal(await raw.exists(`${namespace}:worker:${id}`), 0, 'cleared when idle');
  });

  compat('<ns>:pause-all-workers = "true" set by another client pauses reserve', async () => {
    const id = 'web-1:1:q';
    await store.register({ id, queues: ['q'], startedAt: new Date() });
    await store.push([{ queue: 'q', payload: '{"class":"A","args":[]}' }]);
    await raw.set(`${namespace}:pause-all-workers`, 'true');
    assert.deepEqual(await store.reserve(id, ['q'], 10), []);
    assert.equal((await store.heartbeat(id, { workingOn: null })).paused, true);
    assert.equal((await store.admin().stats()).paused, true);
    await raw.set(`${namespace}:pause-all-workers`, 'false');
    assert.equal((await store.reserve(id, ['q'], 10)).length, 1, 'any other value means not paused');
  });

  compat('admin.setPaused writes "true" to <ns>:pause-all-workers (what resque-web and Resque read)', async () => {
    await store.admin().setPaused(true);
    assert.equal(await raw.get(`${namespace}:pause-all-workers`), 'true');
    await store.admin().setPaused(false);
    assert.notEqual(await raw.get(`${namespace}:pause-all-workers`), 'true');
  });

  compat('failures land in <ns>:failed verbatim and <ns>:stat:processed / :failed count them', async () => {
    const id = 'web-1:1:q';
    await store.register({ id, queues: ['q'], startedAt: new Date() });
    await store.push([{ queue: 'q', payload: '{"class":"A","args":[1]}' }, { queue: 'q', payload: '{"class":"A","args":[2]}' }]);
    const [a, b] = await store.reserve(id, ['q'], 2);
    const entry = '{"failed_at":"2026/11/28 01:51:55 UTC","payload":{"class":"A","args":[1]},"exception":"RuntimeError","error":"boom","backtrace":[],"worker":"web-1:1:q","queue":"q"}';
    await store.settle(id, [{ token: a!.token, kind: 'failed', entry }, { token: b!.token, kind: 'done' }]);
    assert.deepEqual(await raw.lrange(`${namespace}:failed`, 0, -1), [entry]);
    assert.equal(await raw.get(`${namespace}:stat:processed`), '2');
    assert.equal(await raw.get(`${namespace}:stat:failed`), '1');
    assert.equal(await raw.get(`${namespace}:stat:processed:${id}`), '2');
    assert.equal(await raw.get(`${namespace}:stat:failed:${id}`), '1');
  });

  compat('a failure entry written by Ruby Resque is listed and can be retried', async () => {
    const entry = '{"failed_at":"2026/11/28 01:51:55 UTC","payload":{"class":"Archive","args":[44,"masterbrew"]},"exception":"Resque::TermException","error":"SIGTERM","backtrace":["x.rb:1"],"worker":"ruby:9:file_serve","queue":"file_serve"}';
    await raw.rpush(`${namespace}:failed`, entry);
    const [listed] = await store.admin().failed(0, 10);
    assert.equal(listed!.raw, entry);
    assert.equal((listed!.entry as { exception: string }).exception, 'Resque::TermException');
    assert.equal(await store.admin().retryFailed(entry, { queue: 'file_serve', payload: '{"class":"Archive","args":[44,"masterbrew"]}' }), true);
    assert.deepEqual(await raw.lrange(`${namespace}:queue:file_serve`, 0, -1), ['{"class":"Archive","args":[44,"masterbrew"]}']);
    assert.ok((await raw.smembers(`${namespace}:queues`)).includes('file_serve'));
  });

  compat('a worker registered by Ruby Resque (no errand keys) shows in admin workers()', async () => {
    const id = 'ruby-host:77:critical,low';
    await raw.sadd(`${namespace}:workers`, id);
    await raw.set(`${namespace}:worker:${id}:started`, '2026-11-28 01:51:55 +0000');
    await raw.hset(`${namespace}:workers:heartbeat`, id, '2026-11-28T01:51:55Z');
    const [view] = await store.admin().workers();
    assert.equal(view!.id, id);
    assert.deepEqual(view!.queues, ['critical', 'low']);
    assert.equal(view!.heartbeatAt, '2026-11-28T01:51:55Z');
    assert.equal(view!.startedAt, '2026-11-28 01:51:55 +0000');
    assert.equal(view!.inFlight, 0);
  });
});

test('redis store: a reserve sent twice (reply lost on a cut connection) returns the same batch, stranding nothing', async () => {
  const namespace = uniqueNamespace();
  const store = (await openStore(REDIS_URL, { namespace })) as Store & { unansweredReserve: Map<string, string> };
  try {
    await store.push([1, 2, 3, 4].map((n) => ({ queue: 'q', payload: `{"class":"X","args":[${n}]}` })));
    await store.register({ id: 'h:1:q', queues: ['q'], startedAt: new Date(), concurrency: 1 });
    // The request id a failed call leaves behind is reused by the next reserve (see store.ts).
    store.unansweredReserve.set('h:1:q', 'lost-request');
    const first = await store.reserve('h:1:q', ['q'], 2);
    store.unansweredReserve.set('h:1:q', 'lost-request');
    const again = await store.reserve('h:1:q', ['q'], 2);
    assert.deepEqual(again, first, 'the resent request gets the batch the lost reply carried');
    const next = await store.reserve('h:1:q', ['q'], 10);
    assert.deepEqual(next.map((j) => j.payload), ['{"class":"X","args":[3]}', '{"class":"X","args":[4]}']);
  } finally {
    await store.close();
    await deleteNamespace(namespace);
  }
});

test('redis store: a reserve that ran on Redis but whose reply the client lost is resent by the next reserve, stranding nothing', async () => {
  const namespace = uniqueNamespace();
  const store = await openStore(REDIS_URL, { namespace });
  const lose = loseNextScriptReply(store);
  const worker = 'h:1:q';
  const job = (n: number) => `{"class":"X","args":[${n}]}`;
  try {
    await store.push([1, 2, 3, 4].map((n) => ({ queue: 'q', payload: job(n) })));
    await store.register({ id: worker, queues: ['q'], startedAt: new Date(), concurrency: 1 });
    lose.arm();
    await assert.rejects(store.reserve(worker, ['q'], 2), /ECONNRESET/);
    assert.equal(lose.armed, false, 'the reserve went through the wrapped connection');
    assert.deepEqual(await store.admin().peek('q', 0, 10), [job(3), job(4)], 'the lost reserve did take two jobs on Redis');
    const again = await store.reserve(worker, ['q'], 2);
    assert.deepEqual(again.map((j) => j.payload), [job(1), job(2)], 'the next reserve returns the batch whose reply was lost');
    const next = await store.reserve(worker, ['q'], 10);
    assert.deepEqual(next.map((j) => j.payload), [job(3), job(4)], 'and the one after that a new batch');
    const tokens = [...again, ...next].map((j) => j.token);
    assert.equal(new Set(tokens).size, 4);
    assert.deepEqual(await store.settle(worker, tokens.map((token) => ({ token, kind: 'done' as const }))), { settled: 4 });
    const stats = await store.admin().stats();
    assert.equal(stats.workers.find((w) => w.id === worker)?.inFlight, 0, 'nothing is left in flight once all four are settled');
    assert.equal(stats.processed, 4);
    await store.unregister(worker);
    assert.deepEqual(await store.admin().peek('q', 0, 10), [], 'unregistering hands nothing back: no job was stranded');
  } finally {
    await store.close();
    await deleteNamespace(namespace);
  }
});

test('redis store: a reserve resent while pause-all-workers is set still returns the batch its lost reply carried', async () => {
  const namespace = uniqueNamespace();
  const store = await openStore(REDIS_URL, { namespace });
  const lose = loseNextScriptReply(store);
  const job = (n: number) => `{"class":"X","args":[${n}]}`;
  try {
    await store.push([1, 2, 3].map((n) => ({ queue: 'q', payload: job(n) })));
    const worker = await store.register({ id: 'h:1:q', queues: ['q'], startedAt: new Date() });
    lose.arm();
    await assert.rejects(store.reserve(worker, ['q'], 2), /ECONNRESET/);
    // An operator pauses every worker before the worker's retry arrives.
    await store.admin().setPaused(true);
    const again = await store.reserve(worker, ['q'], 2);
    assert.deepEqual(again.map((j) => j.payload), [job(1), job(2)], 'the first batch reaches its worker: it is not stranded in flight');
    assert.deepEqual(await store.reserve(worker, ['q'], 10), [], 'but nothing new is taken while paused');
    assert.deepEqual(await store.admin().peek('q', 0, 10), [job(3)]);
  } finally {
    await store.close();
    await deleteNamespace(namespace);
  }
});

test('redis store: a retry count left high (an older errand promoted retries without counting them down) is mended when promote empties the set', async () => {
  const namespace = uniqueNamespace();
  const store = await openStore(REDIS_URL, { namespace });
  const raw = new Redis(REDIS_URL);
  try {
    await raw.set(`${namespace}:errand:retrying`, 5);
    await store.schedule([{ queue: 'q', payload: '{"class":"X","args":[1]}', runAt: Date.now() - 1_000 }]);
    assert.equal((await store.admin().stats()).retrying, 1, 'shown bounded by the set');
    assert.equal((await store.recover({ maxDeaths: 3, promoteLimit: 1_000, reapDead: false })).promoted, 1);
    assert.equal(await raw.get(`${namespace}:errand:retrying`), null, 'the set is empty: so is the count');
    await store.schedule([{ queue: 'q', payload: '{"class":"X","args":[2]}', runAt: Date.now() + 3_600_000 }]);
    assert.equal((await store.admin().stats()).retrying, 0);
  } finally {
    raw.disconnect();
    await store.close();
    await deleteNamespace(namespace);
  }
});
