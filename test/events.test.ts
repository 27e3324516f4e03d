// errand.events() on a real Redis: a subscriber on its own errand instance (its own
// connections), and one in a child process (test/fixtures/event-listener.ts), receives the lifecycle events of jobs another instance enqueues and a third one
// runs, typed and in order, with names, ids, args and durations; a subscriber to one queue hears
// nothing of another; with nobody subscribed, no process publishes anything (counted by
// wrapping their store connections), and with a subscriber the events are batched. On
// SQLite here: two instances on one file in this process (across processes:
// events-sqlite.test.ts).

import { after, test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, createErrand, defineJob, type JobEvent } from '../src/index.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';
import { quiet } from './support/errand.ts';
import { jsonLines } from './support/json-lines.ts';

const evAdd = defineJob({
  name: 'EvAdd', queue: 'ev-a', retry: { attempts: 2, backoff: 'fixed', delay: 1, jitter: 0 },
  async perform(a: number, label: string) {
    if (a < 0) throw new RangeError(`negative ${label}`);
  },
});
const evOther = defineJob({ name: 'EvOther', queue: 'ev-b', async perform(_n: number) {} });

const namespace = uniqueNamespace('errand-events');
const producer = createErrand({ url: REDIS_URL, namespace, logger: quiet });
const runner = createErrand({ url: REDIS_URL, namespace, logger: quiet });
const listener = createErrand({ url: REDIS_URL, namespace, logger: quiet });
const worker = runner.worker({ queues: ['ev-a', 'ev-b'], concurrency: 4 });
const started = worker.start();
after(async () => {
  await Promise.all([producer.close(), runner.close(), listener.close()]);
  await deleteNamespace(namespace);
});

/**
 * Counts the event PUBLISH calls and listener look-ups (MGET) the producing and running
 * instances send, by wrapping their store connections: exact, and blind to other tests' traffic.
 */
async function watchEventCommands() {
  const counts = { publish: 0, mget: 0 };
  const restores: (() => void)[] = [];
  for (const errand of [producer, runner]) {
    const redis = ((await errand.store()) as unknown as { redis: Record<'publish' | 'mget', (...args: unknown[]) => unknown> }).redis;
    for (const command of ['publish', 'mget'] as const) {
      const original = redis[command];
      redis[command] = (...args: unknown[]) => {
        if (args.flat().some((arg) => String(arg).startsWith(`${namespace}:errand:`))) counts[command]++;
        return original.apply(redis, args);
      };
      restores.push(() => (redis[command] = original));
    }
  }
  return { publishes: () => counts.publish, lookups: () => counts.mget, stop: () => restores.forEach((restore) => restore()) };
}

test('with nobody subscribed, no process publishes an event', async () => {
  await started;
  const watch = await watchEventCommands();
  try {
    const jobs = await producer.enqueueBulk(evOther, Array.from({ length: 100 }, (_, i) => [i] as [number]));
    await producer.enqueue(evAdd, 1, 'quiet');
    await waitFor('all run', async () => (await (await producer.admin()).stats()).processed >= jobs.length + 1);
    // The processes look up the listener keys in the background (one MGET every 2 s each).
    await waitFor('a lookup', () => watch.lookups() > 0);
    assert.equal(watch.publishes(), 0, 'not one PUBLISH on the event channels');
  } finally {
    watch.stop();
  }
});

test('a subscriber in another instance gets enqueued, started, completed, retried and failed events, typed, in order; batched per turn', async () => {
  await started;
  const events = listener.events(evAdd);
  const others = listener.events({ queues: ['ev-b'] });
  const seen: JobEvent<[number, string]>[] = [];
  const seenOther: JobEvent[] = [];
  events.onAny((event) => seen.push(event));
  others.onAny((event) => seenOther.push(event));
  events.on('completed', (event) => {
    const a: number = event.args[0]; // typed with the job's args
    const label: string = event.args[1];
    void a, label;
  });
  await Promise.all([events.ready, others.ready]);
  // Publishers learn of the subscriber within about two seconds: enqueue probes until one is heard.
  await waitFor('the producer and the worker to hear of the subscriber', async () => {
    await producer.enqueue(evAdd, 0, 'probe');
    return seen.some((event) => event.type === 'enqueued') && seen.some((event) => event.type === 'completed');
  });
  await waitFor('probes done', async () => (await (await producer.admin()).stats()).queues.every((queue) => queue.size === 0));
  await new Promise((resolve) => setTimeout(resolve, 50));
  seen.length = 0;
  const watch = await watchEventCommands();
  try {
    const ok = (await producer.enqueue(evAdd, 7, 'seven'))!;
    const bad = (await producer.enqueue(evAdd, -1, 'minus'))!;
    const bulk = await producer.enqueueBulk(evOther, Array.from({ length: 50 }, (_, i) => [i] as [number]));
    await waitFor('the failed event', () => seen.some((event) => event.type === 'failed'));
    await waitFor('the ev-b events', () => seenOther.filter((event) => event.type === 'completed').length === bulk.length);

    const forOk = seen.filter((event) => 'id' in event && event.id === ok.id);
    assert.deepEqual(forOk.map((event) => event.type), ['enqueued', 'started', 'completed']);
    for (const event of forOk) {
      assert.equal(event.queue, 'ev-a');
      if (event.type === 'recovered') continue;
      assert.equal(event.name, 'EvAdd');
      assert.deepEqual(event.args, [7, 'seven']);
      assert.equal(event.attempt, 1);
    }
    const completed = forOk[2]!;
    assert.ok(completed.type === 'completed' && typeof completed.durationMs === 'number' && completed.durationMs >= 0 && completed.worker === worker.id);

    const forBad = seen.filter((event) => 'id' in event && event.id === bad.id);
    assert.deepEqual(forBad.map((event) => [event.type, 'attempt' in event ? event.attempt : 0]), [['enqueued', 1], ['started', 1], ['retried', 1], ['started', 2], ['failed', 2]]);
    const retried = forBad[2]!;
    assert.ok(retried.type === 'retried');
    assert.deepEqual(retried.error, { class: 'RangeError', message: 'negative minus' });
    assert.ok(retried.runAt > 0 && retried.durationMs >= 0);
    const failed = forBad[4]!;
    assert.ok(failed.type === 'failed' && failed.error.class === 'RangeError');

    assert.ok(seen.every((event) => event.queue === 'ev-a'), 'a subscriber to ev-a hears nothing of ev-b');
    assert.ok(seenOther.every((event) => event.queue === 'ev-b' && event.type !== 'recovered' && event.name === 'EvOther'));
    assert.equal(seenOther.filter((event) => event.type === 'enqueued').length, bulk.length);
    // 150 events for ev-b (50 enqueued, started and completed) and 8 for ev-a, in far fewer messages.
    assert.ok(watch.publishes() < 40, `events are batched: ${watch.publishes()} PUBLISH calls for 158 events`);
  } finally {
    watch.stop();
    await Promise.all([events.close(), others.close()]);
  }
});

test('a subscriber in another process gets a job\'s events in order', async () => {
  await started;
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'event-listener.ts'), REDIS_URL, namespace], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = jsonLines<unknown>(child.stdout);
  try {
    await waitFor('the child subscribed', () => lines.includes('ready'), 20_000);
    const heard = () => lines.filter((line): line is JobEvent<[number, string]> => typeof line === 'object');
    await waitFor('the publishers to hear of it', async () => {
      await producer.enqueue(evAdd, 0, 'probe');
      return heard().some((event) => event.type === 'enqueued') && heard().some((event) => event.type === 'completed');
    });
    const job = (await producer.enqueue(evAdd, 3, 'three'))!;
    await waitFor('its completed event', () => heard().some((event) => event.type === 'completed' && event.id === job.id));
    const mine = heard().filter((event) => event.type !== 'recovered' && event.id === job.id);
    assert.deepEqual(mine.map((event) => event.type), ['enqueued', 'started', 'completed']);
    assert.ok(mine.every((event) => event.type !== 'recovered' && event.name === 'EvAdd' && event.args[0] === 3 && event.args[1] === 'three'));
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
  }
});

test('a worker that recovers a dead worker\'s jobs publishes a recovered event', async () => {
  await started;
  const events = listener.events({ queues: ['ev-a'] });
  const seen: JobEvent[] = [];
  events.onAny((event) => seen.push(event));
  await events.ready;
  await waitFor('the worker to hear of the subscriber', async () => {
    await producer.enqueue(evAdd, 0, 'probe');
    return seen.some((event) => event.type === 'completed');
  });
  // A worker instance that takes a job and dies: registered with a short lease, never renewed.
  const store = await producer.store();
  const ghost = await store.register({ id: 'ghost:1:ev-ghost', queues: ['ev-ghost'], startedAt: new Date(), leaseMs: 300 });
  await producer.enqueueSpec({ ...evAdd.spec, queue: 'ev-ghost' }, [5, 'ghost']);
  assert.equal((await store.reserve(ghost, ['ev-ghost'], 1, 1)).length, 1);
  try {
    const recovered = await waitFor('a recovered event', () => seen.find((event) => event.type === 'recovered'));
    assert.ok(recovered.type === 'recovered');
    assert.deepEqual(recovered.deadWorkers, [ghost]);
    assert.equal(recovered.requeued, 1);
    assert.equal(recovered.worker, worker.id);
  } finally {
    await events.close();
  }
});

test('on SQLite, subscribers in the same process get the events of another instance on the same file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-events-'));
  const url = `sqlite:${join(dir, 'errand.db')}`;
  const runs = createErrand({ url, logger: quiet });
  const listens = createErrand({ url, logger: quiet });
  try {
    const events = listens.events(evAdd);
    const seen: string[] = [];
    events.onAny((event) => seen.push(event.type));
    await events.ready;
    const sqliteWorker = runs.worker({ queues: 'ev-a' });
    await sqliteWorker.start();
    await runs.enqueue(evAdd, 2, 'two');
    await waitFor('completed', () => seen.includes('completed'));
    assert.deepEqual(seen, ['enqueued', 'started', 'completed']);
  } finally {
    await Promise.all([runs.close(), listens.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('events() without a queue fails with a clear error', () => {
  assert.throws(() => listener.events({ queues: [] }), (error: unknown) => error instanceof ConfigError && /needs a job or \{ queues: \[\.\.\.\] \}/.test(error.message));
});
