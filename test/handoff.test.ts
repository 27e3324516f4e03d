// The Redis hand-off: a worker whose reserve took nothing, and that then waits, parks; a lone
// job pushed to one of its queues moves straight into its in-flight hash and reaches it by a
// message on its own channel. Each case names the regression that turns it red. Real Redis,
// real pub/sub, a real worker process blocked by a CPU-bound job; a lost message is a real
// unsubscribe or a cut connection, a lost reply a wrapped connection.

import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createErrand, defineJob } from '../src/index.ts';
import { RedisStore } from '../src/storage/redis/store.ts';
import type { ReservedJob } from '../src/storage/types.ts';
import { quiet } from './support/errand.ts';
import { inWorld, waitFor as cliWaitFor } from './support/cli-harness.ts';
import { Record, SpinAfter } from './fixtures/cli-jobs.ts';
import { deleteNamespace, loseNextScriptReply, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';

const payload = (n: number | string) => JSON.stringify({ class: 'HandoffJob', args: [n], id: `id-${n}`, queue: 'q', enqueued_at: 0, attempt: 1 });

interface World {
  store: RedisStore;
  producer: RedisStore;
  raw: Redis;
  ns: string;
  /** Registers a worker on `queues` (lease `leaseMs`) and reserves until it is parked. */
  parked(id: string, queues?: string[] | '*', options?: { leaseMs?: number; startNow?: number }): Promise<string>;
  queue(name?: string): Promise<string[]>;
  inFlight(worker: string): Promise<Record<string, string>>;
}

async function withWorld(fn: (world: World) => Promise<void>): Promise<void> {
  const ns = uniqueNamespace('handoff');
  const options = { url: REDIS_URL, namespace: ns, commandTimeoutMs: 5_000 };
  const store = new RedisStore(options);
  const producer = new RedisStore(options);
  const raw = new Redis(REDIS_URL);
  const world: World = {
    store, producer, raw, ns,
    async parked(id, queues = ['q'], { leaseMs, startNow = 1 } = {}) {
      const worker = await store.register({ id, queues: queues === '*' ? ['*'] : queues, startedAt: new Date(), concurrency: 2, leaseMs });
      const set = queues === '*' ? `${ns}:errand:parked-all` : `${ns}:errand:parked:${queues[0]}`;
      // The first reserves start the worker's channel subscription; it parks once that is up.
      for (let i = 0; i < 200 && !(await raw.sismember(set, worker)); i++) {
        assert.deepEqual(await store.reserve(worker, queues, 10, startNow, true), []);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(await raw.sismember(set, worker), 1, 'the worker parked');
      return worker;
    },
    queue: (name = 'q') => raw.lrange(`${ns}:queue:${name}`, 0, -1),
    inFlight: (worker) => raw.hgetall(`${ns}:errand:inflight:${worker}`),
  };
  try {
    await fn(world);
  } finally {
    await Promise.all([store.close(), producer.close()]);
    raw.disconnect();
    await deleteNamespace(ns);
  }
}

const payloads = (jobs: readonly ReservedJob[]) => jobs.map((job) => job.payload);
const handoffChannel = (ns: string, worker: string) => `${ns}:errand:handoff:${worker}`;
/** The store's subscriber connection (private), to lose a hand-off message for real. */
const subscriberOf = (store: RedisStore) => (store as unknown as { subscriber: Redis }).subscriber;

test('a lone job pushed while a worker waits goes into its in-flight hash, wakes it, and comes from its next reserve (catches: push.lua not handing off, the message not waking the wait)', async () => {
  await withWorld(async ({ store, producer, raw, ns, parked, queue, inFlight }) => {
    const worker = await parked('host:1:q');
    const woke = store.waitForWork(worker, ['q'], 60_000);
    await producer.push([{ queue: 'q', payload: payload(1) }]);
    assert.deepEqual(await queue(), [], 'the job never waited in the queue');
    const held = await inFlight(worker);
    const [token] = Object.keys(held);
    assert.equal(held[token!], `q\n${payload(1)}`, 'it is in the worker in-flight hash, so a death hands it back');
    assert.equal(await raw.hget(`${ns}:errand:instance:${worker}`, 'started'), token, 'parked with free slots: the job starts at once, so the watermark names it');
    assert.equal(await raw.sismember(`${ns}:errand:parked:q`, worker), 0, 'one hand-off per park');
    await woke;
    const jobs = await store.reserve(worker, ['q'], 10, 1, true);
    assert.deepEqual(jobs, [{ token, queue: 'q', payload: payload(1) }]);
    assert.deepEqual(await store.reserve(worker, ['q'], 10, 1, true), [], 'given once: the next reserve does not give it again');
    assert.deepEqual(await store.settle(worker, [{ token: token!, kind: 'done' }]), { settled: 1 });
    assert.deepEqual(await inFlight(worker), {});
  });
});

test('parked for prefetch only (no free slot): a handed job does not move the started watermark (catches: blaming a job that never started)', async () => {
  await withWorld(async ({ store, producer, raw, ns, parked, inFlight }) => {
    const worker = await parked('host:2:q', ['q'], { startNow: 0 });
    await producer.push([{ queue: 'q', payload: payload(2) }]);
    assert.equal(Object.keys(await inFlight(worker)).length, 1);
    assert.equal(await raw.hget(`${ns}:errand:instance:${worker}`, 'started'), '0', 'the watermark stays where registration put it');
    await store.unregister(worker);
  });
});

test('the hand-off message lost: the next reserve returns the job, once; a late copy of the message is dropped (catches: a stranded job, a job given twice)', async () => {
  await withWorld(async ({ store, producer, raw, ns, parked, queue, inFlight }) => {
    const worker = await parked('host:3:q');
    await subscriberOf(store).unsubscribe(handoffChannel(ns, worker));
    await producer.push([{ queue: 'q', payload: payload(3) }]);
    const [token] = Object.keys(await inFlight(worker));
    assert.ok(token, 'handed over on Redis');
    const jobs = await store.reserve(worker, ['q'], 10, 1, true);
    assert.deepEqual(payloads(jobs), [payload(3)], 'the reserve after a lost message returns the handed job');
    assert.deepEqual(await store.reserve(worker, ['q'], 10, 1, true), [], 'and only once');
    // The same message arriving late (after the reserve gave the job) must not give it again.
    await subscriberOf(store).subscribe(handoffChannel(ns, worker));
    await raw.publish(handoffChannel(ns, worker), `${token}\nq\n${payload(3)}`);
    await raw.publish(`${ns}:errand:wake`, 'q'); // a message sent after it on the same connection
    await store.waitForWork(worker, ['q'], 60_000);
    assert.deepEqual(await store.reserve(worker, ['q'], 10, 1, true), [], 'the late message gave nothing');
    assert.deepEqual(await queue(), []);
    assert.deepEqual(await store.settle(worker, [{ token: token!, kind: 'done' }]), { settled: 1 });
  });
});

test('a job the message delivered is not given again by the reserve after it (catches: the reply carrying a delivered hand-off)', async () => {
  await withWorld(async ({ store, producer, parked }) => {
    const worker = await parked('host:4:q');
    const woke = store.waitForWork(worker, ['q'], 60_000);
    await producer.push([{ queue: 'q', payload: payload(4) }]);
    await woke;
    const first = await store.reserve(worker, ['q'], 10, 1, true);
    assert.deepEqual(payloads(first), [payload(4)]);
    await producer.push([{ queue: 'q', payload: payload(5) }]);
    const second = await store.reserve(worker, ['q'], 10, 1, true);
    assert.deepEqual(payloads(second), [payload(5)], 'the reserve after the message gives the queue\'s job, not the handed one again');
  });
});

test('passed over: an expired lease, a paused queue, pause-all-workers; two payloads in one push keep queue order (catches: handing to a dead or paused worker, a batch skipping the queue)', async () => {
  await withWorld(async ({ store, producer, raw, ns, parked, queue, inFlight }) => {
    const live = await parked('host:5:q');
    await raw.sadd(`${ns}:errand:paused-queues`, 'q');
    await producer.push([{ queue: 'q', payload: payload('paused') }]);
    await raw.srem(`${ns}:errand:paused-queues`, 'q');
    await raw.set(`${ns}:pause-all-workers`, 'true');
    await producer.push([{ queue: 'q', payload: payload('all-paused') }]);
    await raw.del(`${ns}:pause-all-workers`);
    assert.deepEqual(await inFlight(live), {});
    await producer.push([{ queue: 'q', payload: payload('a') }, { queue: 'q', payload: payload('b') }]);
    assert.deepEqual(await queue(), [payload('paused'), payload('all-paused'), payload('a'), payload('b')]);
    assert.deepEqual(await inFlight(live), {}, 'a queue with jobs in it is never skipped by a hand-off');
    await store.unregister(live);

    const expired = await parked('host:6:r', ['r'], { leaseMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    await producer.push([{ queue: 'r', payload: payload('late') }]);
    assert.deepEqual(await queue('r'), [payload('late')], 'a worker whose lease ran out gets nothing handed');
    assert.deepEqual(await inFlight(expired), {});
  });
});

test('two workers, one parked: the push goes to the parked one, the next to the queue; a "*" worker parks on every queue (catches: handing to a worker that is not waiting)', async () => {
  await withWorld(async ({ store, producer, raw, ns, parked, queue, inFlight }) => {
    const waiting = await parked('host:7:q');
    const busy = await store.register({ id: 'host:8:q', queues: ['q'], startedAt: new Date(), concurrency: 1 });
    await producer.push([{ queue: 'q', payload: payload(7) }]);
    await producer.push([{ queue: 'q', payload: payload(8) }]);
    assert.equal(Object.keys(await inFlight(waiting)).length, 1);
    assert.deepEqual(await inFlight(busy), {});
    assert.deepEqual(await queue(), [payload(8)]);
    await store.unregister(waiting);
    await store.unregister(busy);
    await raw.del(`${ns}:queue:q`);

    const any = await parked('host:9:all', '*');
    await producer.push([{ queue: 'elsewhere', payload: payload(9) }]);
    assert.deepEqual(Object.values(await inFlight(any)), [`elsewhere\n${payload(9)}`]);
  });
});

test('unpark returns the job handed meanwhile, and release puts it back ahead of later jobs; unregister leaves the parked sets (catches: a stopping worker keeping a job)', async () => {
  await withWorld(async ({ store, producer, raw, ns, parked, queue }) => {
    const worker = await parked('host:10:q');
    await subscriberOf(store).unsubscribe(handoffChannel(ns, worker));
    await producer.push([{ queue: 'q', payload: payload(10) }]);
    await producer.push([{ queue: 'q', payload: payload(11) }]);
    const handed = await store.unpark(worker, ['q']);
    assert.deepEqual(payloads(handed), [payload(10)]);
    await store.release(worker, handed.map((job) => job.token));
    assert.deepEqual(await queue(), [payload(10), payload(11)]);

    const again = await parked('host:11:x', ['x', 'other']);
    await store.unregister(again);
    assert.equal(await raw.sismember(`${ns}:errand:parked:x`, again), 0);
    assert.equal(await raw.sismember(`${ns}:errand:parked:other`, again), 0);
  });
});

test('parked workers that die: recovery hands a handed job back and takes them out of the parked sets (catches: a job lost with a dead worker, a dead worker left parked)', async () => {
  await withWorld(async ({ store, producer, raw, ns, parked, queue }) => {
    const handedTo = await parked('host:12:q', ['q'], { leaseMs: 300 });
    await subscriberOf(store).unsubscribe(handoffChannel(ns, handedTo));
    await producer.push([{ queue: 'q', payload: payload(12) }]);
    const stillParked = await parked('host:13:other', ['other', 'q2'], { leaseMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const result = await producer.recover({ reapDead: true, maxDeaths: 3, promoteLimit: 100 });
    assert.deepEqual([...result.deadWorkers].sort(), [handedTo, stillParked].sort());
    assert.deepEqual(await queue(), [payload(12)], 'the handed job is back in its queue');
    assert.equal(await raw.exists(`${ns}:errand:instance:${handedTo}`), 0);
    assert.equal(await raw.sismember(`${ns}:errand:parked:other`, stillParked), 0);
    assert.equal(await raw.sismember(`${ns}:errand:parked:q2`, stillParked), 0);
  });
});

test('the subscriber connection cut while parked: the hand-off published meanwhile is lost, and the reconnect wakes the worker to take it (catches: a job waiting out the idle wait)', async () => {
  await withWorld(async ({ store, producer, raw, parked }) => {
    const worker = await parked('host:15:q');
    const woke = store.waitForWork(worker, ['q'], 120_000);
    const port = (subscriberOf(store) as unknown as { stream: { localPort: number } }).stream.localPort;
    await raw.client('KILL', 'ADDR', `127.0.0.1:${port}`);
    await producer.push([{ queue: 'q', payload: payload(15) }]);
    // The bound's timer is cleared, so it does not keep this file's process alive after the tests.
    let bound: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([woke.then(() => 'woken'), new Promise((resolve) => (bound = setTimeout(resolve, 20_000, 'still waiting'))).then(String)]);
    clearTimeout(bound);
    assert.equal(outcome, 'woken', 'the wait ended when the subscription came back, not at its timeout');
    assert.deepEqual(payloads(await store.reserve(worker, ['q'], 10, 1, true)), [payload(15)]);
  });
});

test('a subscriber hears `enqueued` before the job is handed to a worker: the event goes out inside the push (catches: publishing it after the push replied, when a handed job may already have started)', async () => {
  await withWorld(async ({ ns, parked }) => {
    const job = defineJob({ name: 'AnnouncedJob', queue: 'q', perform(_n: number) {} });
    const producer = createErrand({ url: REDIS_URL, namespace: ns, logger: quiet });
    const watch = new Redis(REDIS_URL);
    const heard: string[] = [];
    try {
      const subscription = producer.events({ queues: ['q'] }); // this process now publishes q's events
      await subscription.ready;
      await watch.psubscribe(`${ns}:errand:*`);
      watch.on('pmessage', (_pattern: string, channel: string) => heard.push(channel.slice(ns.length + 1).split(':').slice(0, 2).join(':')));
      const worker = await parked('host:16:q');
      await producer.enqueue(job, 16);
      await waitFor('both messages', () => heard.length >= 2);
      assert.deepEqual(heard.slice(0, 2), ['errand:events', 'errand:handoff'], 'the event came first, in the same step as the push');
      assert.ok(worker);
      await subscription.close();
    } finally {
      watch.disconnect();
      await producer.close();
    }
  });
});

test('a reserve whose reply was lost returns the hand-off again when resent (catches: a hand-off stranded by a lost reply)', async () => {
  await withWorld(async ({ store, producer, ns, parked }) => {
    const worker = await parked('host:14:q');
    await subscriberOf(store).unsubscribe(handoffChannel(ns, worker));
    await producer.push([{ queue: 'q', payload: payload(13) }]);
    const lose = loseNextScriptReply(store);
    lose.arm();
    await assert.rejects(store.reserve(worker, ['q'], 10, 1, true), /ECONNRESET/);
    assert.equal(lose.armed, false, 'the reserve went through the wrapped connection');
    assert.deepEqual(payloads(await store.reserve(worker, ['q'], 10, 1, true)), [payload(13)], 'the resent reserve returns the handed job');
  });
});

test('two replies lost in a row, with a job handed over between the tries: the third try returns both handed jobs (catches: a resend forgetting a hand-off that came after the first try)', async () => {
  await withWorld(async ({ store, producer, ns, parked }) => {
    const worker = await parked('host:17:q');
    await subscriberOf(store).unsubscribe(handoffChannel(ns, worker));
    const lose = loseNextScriptReply(store);
    await producer.push([{ queue: 'q', payload: payload('first') }]);
    lose.arm();
    await assert.rejects(store.reserve(worker, ['q'], 10, 1, true), /ECONNRESET/); // took nothing from the queue: parked again
    await producer.push([{ queue: 'q', payload: payload('second') }]); // handed to it while its reply was lost
    lose.arm();
    await assert.rejects(store.reserve(worker, ['q'], 10, 1, true), /ECONNRESET/);
    assert.deepEqual(payloads(await store.reserve(worker, ['q'], 10, 1, true)), [payload('first'), payload('second')]);
  });
});

test('an errand worker: idle, each job enqueued comes by hand-off and runs once; paused or stopped, it is unparked and pushes wait in the queue (catches: the fetch loop not parking, a paused or stopped worker taking a job)', async () => {
  const ns = uniqueNamespace('handoff-worker');
  const raw = new Redis(REDIS_URL);
  const watch = new Redis(REDIS_URL);
  const ran: number[] = [];
  const job = defineJob({ name: 'HandoffRun', queue: 'hq', perform(n: number) { ran.push(n); } });
  const errand = createErrand({ url: REDIS_URL, namespace: ns, logger: quiet });
  const worker = errand.worker({ queues: 'hq', concurrency: 3 });
  let messages = 0;
  try {
    await watch.psubscribe(`${ns}:errand:handoff:*`);
    watch.on('pmessage', () => messages++);
    await worker.start();
    const parkedCount = () => raw.scard(`${ns}:errand:parked:hq`);
    for (let n = 1; n <= 10; n++) {
      await waitFor('the worker to park', async () => (await parkedCount()) === 1);
      await errand.enqueue(job, n);
      await waitFor(`job ${n} to run`, () => ran.length === n);
    }
    assert.deepEqual(ran, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each ran once, in order');
    await waitFor('every one to have come by hand-off (the watching connection may hear it after the job ran)', () => messages === 10);

    await waitFor('the worker to park', async () => (await parkedCount()) === 1);
    worker.pause();
    await waitFor('the paused worker to unpark', async () => (await parkedCount()) === 0);
    await errand.enqueue(job, 11);
    assert.equal(await raw.llen(`${ns}:queue:hq`), 1, 'a paused worker is handed nothing');
    worker.resume();
    await waitFor('job 11 to run after the resume', () => ran.length === 11);

    await waitFor('the worker to park', async () => (await parkedCount()) === 1);
    await worker.stop();
    assert.equal(await parkedCount(), 0, 'a stopped worker is not parked');
    await errand.enqueue(job, 12);
    assert.equal(await raw.llen(`${ns}:queue:hq`), 1);
    assert.equal(messages, 10);
  } finally {
    await worker.stop();
    await errand.close();
    raw.disconnect();
    watch.disconnect();
    await deleteNamespace(ns);
  }
});

test('a worker running a job is not parked: a job pushed while a CPU-bound job blocks its event loop waits in the queue for any worker, not behind that job (catches: parking a busy worker)', async () => {
  await inWorld(async (world) => {
    const { id } = await world.worker(['--queues', 'default', '--concurrency', '2']);
    await cliWaitFor('the idle worker to park', async () => (await world.redis.sismember(world.key('errand:parked:default'), id)) === 1);
    // The job first waits (the worker's fetch loop reserves again meanwhile), then spins.
    await world.client().enqueue(SpinAfter, 's1', 400);
    await cliWaitFor('the job to spin', () => world.has('spin s1'));
    await world.client().enqueue(Record, 'r2');
    assert.equal(await world.redis.llen(world.key('queue:default')), 1, 'it waits in the queue, where an idle worker would take it at once');
    assert.equal(await world.redis.hlen(world.key(`errand:inflight:${id}`)), 1, 'the busy worker holds only its own job');
    writeFileSync(`${world.out}.release-s1`, ''); // the spin ends only now
    await cliWaitFor('r2 to run once the spin is over', () => world.has('record r2'));
  });
});
