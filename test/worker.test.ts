// The worker in-process against a real Redis: running jobs, failures, retries, timeouts, hooks,
// events, delayed jobs, graceful stop. Each test has its own namespace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, createErrand, defineJob, JobTimeoutError, UnrecoverableError, type JobContext, type Plugin } from '../src/index.ts';
import { Redis } from 'ioredis';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';
import { quiet, withErrand as withFreshErrand } from './support/errand.ts';


const withErrand = withFreshErrand;

test('jobs run with their typed args and a context; completed events fire', async () => {
  await withErrand(async (errand) => {
    const seen: [number, string, number][] = [];
    const contexts: JobContext[] = [];
    const add = defineJob({ name: 'WAdd', queue: 'w-add', async perform(a: number, b: string, ctx: JobContext) { seen.push([a, b, ctx.attempt]); contexts.push(ctx); return a * 2; } });
    const results: unknown[] = [];
    const worker = errand.worker({ queues: 'w-add', concurrency: 4 });
    worker.on('completed', (_job, result) => results.push(result));
    await worker.start();
    await errand.enqueue(add, 1, 'x');
    await errand.enqueueBulk(add, [[2, 'y'], [3, 'z']]);
    await waitFor('3 jobs', () => results.length === 3);
    assert.deepEqual(seen.sort(), [[1, 'x', 1], [2, 'y', 1], [3, 'z', 1]]);
    assert.deepEqual(results.sort(), [2, 4, 6]);
    for (const ctx of contexts) {
      assert.ok(ctx.enqueuedAt instanceof Date && Math.abs(ctx.enqueuedAt.getTime() - Date.now()) < 60_000, 'enqueuedAt is the enqueue time');
      assert.equal(ctx.name, 'WAdd');
      assert.equal(ctx.queue, 'w-add');
      assert.equal(ctx.workerId, worker.id);
      assert.match(ctx.id, /^[0-9a-f-]{36}$/);
    }
    const admin = await errand.admin();
    await waitFor('processed counter at 3', async () => (await admin.stats()).processed === 3);
    await worker.stop();
  });
});

test('enqueue refuses args that are not JSON-safe and stores nothing', async () => {
  await withErrand(async (errand) => {
    const job = defineJob({ name: 'WDates', queue: 'w-dates', async perform(_when: unknown) {} });
    await assert.rejects(errand.enqueue(job, new Date()), /args\[0\] is a Date instance/);
    await assert.rejects(errand.enqueueBulk(job, [[1], [new Map()]]), /Map instance/);
    const stats = await (await errand.admin()).stats();
    assert.equal(stats.queues.length, 0, 'nothing was stored, not even the valid first bulk item');
  });
});

test('a throwing job goes to failed with class, message, backtrace, worker and queue; the worker goes on', async () => {
  await withErrand(async (errand) => {
    const boom = defineJob({ name: 'WBoom', queue: 'w-fail', async perform(n: number) { if (n === 1) throw new RangeError('too big'); } });
    const failed: unknown[] = [];
    const completed: unknown[] = [];
    const worker = errand.worker({ queues: 'w-fail' });
    worker.on('failed', (job, error) => failed.push([job.name, (error as Error).message]));
    worker.on('completed', (job) => completed.push(job.args[0]));
    await worker.start();
    await errand.enqueueBulk(boom, [[1], [2]]);
    await waitFor('both settled', () => failed.length === 1 && completed.length === 1);
    const admin = await errand.admin();
    const [entry] = await waitFor('failure stored', async () => ((await admin.failedCount()) === 1 ? admin.failed(0, 10) : null));
    assert.equal(entry!.entry?.exception, 'RangeError');
    assert.equal(entry!.entry?.error, 'too big');
    assert.equal(entry!.entry?.queue, 'w-fail');
    assert.equal(entry!.entry?.worker, worker.id);
    assert.ok((entry!.entry?.backtrace as string[]).length > 0);
    assert.equal((entry!.entry?.payload as { class: string }).class, 'WBoom');
    // Catches: the executor not passing the class and duration to settle.
    const [metrics] = (await admin.jobMetrics(60)).classes;
    assert.deepEqual([metrics?.jobClass, metrics?.runs, metrics?.failures], ['WBoom', 2, 1], 'both attempts in the class metrics');
    await worker.stop();
  });
});

test('retries wait in the scheduled set, then run; the last failure carries every attempt error', async () => {
  await withErrand(async (errand) => {
    let runs = 0;
    // Long enough a backoff for the test to see each retry waiting (it polls every 10 ms).
    const flaky = defineJob({
      name: 'WFlaky', queue: 'w-retry', retry: { attempts: 3, backoff: 'fixed', delay: 400, jitter: 0 },
      async perform(ctx: JobContext) { runs++; throw new Error(`attempt ${ctx.attempt} failed`); },
    });
    const worker = errand.worker({ queues: 'w-retry' });
    await worker.start();
    await errand.enqueue(flaky);
    const admin = await errand.admin();
    for (const attempt of [1, 2]) {
      // Between attempts the job is in the scheduled set, not on its queue and not in flight.
      await waitFor(`retry ${attempt} in the scheduled set`, async () => runs === attempt && (await admin.scheduledCount()) === 1);
      const stats = await admin.stats();
      assert.equal(stats.queues.find((q) => q.name === 'w-retry')?.size ?? 0, 0, `retry ${attempt} waits off its queue`);
      assert.equal(stats.workers.reduce((sum, w) => sum + w.inFlight, 0), 0, `retry ${attempt} is not held by the worker`);
      assert.equal(stats.failedCount, 0, 'no final failure yet');
    }
    const [entry] = await waitFor('final failure', async () => ((await admin.failedCount()) === 1 ? admin.failed(0, 1) : null));
    assert.equal(runs, 3);
    assert.equal(entry!.entry?.error, 'attempt 3 failed');
    const errors = (entry!.entry?.payload as { errors: { error: string }[] }).errors.map((e) => e.error);
    assert.deepEqual(errors, ['attempt 1 failed', 'attempt 2 failed']);
    assert.equal(await admin.scheduledCount(), 0);
    await worker.stop();
  });
});

test('UnrecoverableError skips the remaining retries', async () => {
  await withErrand(async (errand) => {
    let runs = 0;
    const job = defineJob({ name: 'WUnrecoverable', queue: 'w-unrec', retry: { attempts: 5, delay: 10 }, async perform() { runs++; throw new UnrecoverableError('card declined'); } });
    const worker = errand.worker({ queues: 'w-unrec' });
    await worker.start();
    await errand.enqueue(job);
    const admin = await errand.admin();
    await waitFor('failure', async () => (await admin.failedCount()) === 1);
    assert.equal(runs, 1);
    await worker.stop();
  });
});

test('a job past its timeout fails with JobTimeoutError and its signal aborts, even if it ignores it', async () => {
  await withErrand(async (errand) => {
    let aborted = false;
    const slow = defineJob({
      name: 'WSlow', queue: 'w-timeout', timeout: 50,
      async perform(ignoreSignal: boolean, ctx: JobContext) {
        ctx.signal.addEventListener('abort', () => { aborted = true; });
        await new Promise((resolve) => setTimeout(resolve, ignoreSignal ? 400 : 5_000).unref());
      },
    });
    const errors: unknown[] = [];
    const worker = errand.worker({ queues: 'w-timeout' });
    worker.on('failed', (_job, error) => errors.push(error));
    await worker.start();
    await errand.enqueue(slow, true);
    await waitFor('timeout failure', () => errors.length === 1);
    assert.ok(errors[0] instanceof JobTimeoutError);
    assert.ok(aborted, 'the job signal aborted');
    await worker.stop();
  });
});

test('hooks run in Resque order; beforeEnqueue vetoes, beforePerform skips', async () => {
  await withErrand(async (errand) => {
    const calls: string[] = [];
    const tracer: Plugin = {
      beforeEnqueue: (job) => { calls.push(`beforeEnqueue:${job.args[0]}`); return job.args[0] !== 'veto'; },
      afterEnqueue: (job) => { calls.push(`afterEnqueue:${job.args[0]}`); },
      beforePerform: (job) => { calls.push(`beforePerform:${job.args[0]}`); return job.args[0] !== 'skip'; },
      aroundPerform: async (job, next) => { calls.push(`around>:${job.args[0]}`); const result = await next(); calls.push(`around<:${job.args[0]}`); return result; },
      afterPerform: (job) => { calls.push(`afterPerform:${job.args[0]}`); },
      onFailure: (job, error) => { calls.push(`onFailure:${job.args[0]}:${(error as Error).message}`); },
    };
    const job = defineJob({ name: 'WHooked', queue: 'w-hooks', plugins: [tracer], async perform(what: string) { calls.push(`perform:${what}`); if (what === 'fail') throw new Error('nope'); } });
    assert.equal(await errand.enqueue(job, 'veto'), null);
    const worker = errand.worker({ queues: 'w-hooks' });
    await worker.start();
    await errand.enqueue(job, 'ok');
    await waitFor('ok ran', () => calls.includes('afterPerform:ok'));
    await errand.enqueue(job, 'skip');
    await waitFor('skip seen', () => calls.includes('beforePerform:skip'));
    await errand.enqueue(job, 'fail');
    await waitFor('failure hook', () => calls.some((c) => c.startsWith('onFailure:fail')));
    await worker.stop();
    assert.deepEqual(calls.filter((c) => c.endsWith(':ok')), ['beforeEnqueue:ok', 'afterEnqueue:ok', 'beforePerform:ok', 'around>:ok', 'perform:ok', 'around<:ok', 'afterPerform:ok']);
    assert.deepEqual(calls.filter((c) => c.includes('veto')), ['beforeEnqueue:veto']);
    assert.ok(!calls.includes('perform:skip'));
    assert.ok(calls.includes('onFailure:fail:nope'));
  });
});

test('global plugins and worker hooks', async () => {
  const calls: string[] = [];
  const plugin: Plugin = {
    workerStart: () => { calls.push('workerStart'); },
    beforeJob: (job, worker) => { calls.push(`beforeJob:${job.name}:${worker.queues.join(',')}`); },
    queueEmpty: () => { calls.push('queueEmpty'); },
    workerStop: () => { calls.push('workerStop'); },
    beforePerform: (job) => { calls.push(`global:${job.name}`); },
  };
  await withErrand(async (errand) => {
    const job = defineJob({ name: 'WGlobal', queue: 'w-global', async perform() {} });
    const worker = errand.worker({ queues: 'w-global' });
    await worker.start();
    await errand.enqueue(job);
    await waitFor('job ran', () => calls.includes('global:WGlobal'));
    assert.ok(calls.indexOf('beforeJob:WGlobal:w-global') < calls.indexOf('global:WGlobal'), calls.join(' '));
    await worker.stop();
  }, { plugins: [plugin] });
  assert.equal(calls[0], 'workerStart');
  assert.ok(calls.includes('queueEmpty'));
  assert.equal(calls.at(-1), 'workerStop');
});

test('delayed jobs wait in the scheduled set, then run in due order', async () => {
  await withErrand(async (errand) => {
    const ran: number[] = [];
    const job = defineJob({ name: 'WLater', queue: 'w-later', async perform(n: number) { ran.push(n); } });
    const admin = await errand.admin();
    // Scheduled before any worker runs, so nothing can promote them while the test looks.
    const before = Date.now();
    const enqueued = await errand.enqueueIn(300, job, 1);
    assert.ok(enqueued!.runAt! >= before + 300, 'enqueueIn sets runAt ahead by the delay');
    await errand.enqueueAt(new Date(Date.now() + 100), job, 2);
    await errand.enqueueIn('1h', job, 3);
    assert.equal(await admin.scheduledCount(), 3);
    assert.equal((await admin.stats()).queues.find((q) => q.name === 'w-later')?.size ?? 0, 0, 'a delayed job is not on its queue');
    const worker = errand.worker({ queues: 'w-later' });
    await worker.start();
    await waitFor('both due delayed jobs ran', () => ran.length === 2);
    assert.deepEqual(ran, [2, 1], 'promoted in the order they fell due');
    assert.equal(await admin.scheduledCount(), 1, 'the job due in an hour still waits');
    await worker.stop();
    assert.deepEqual(ran, [2, 1]);
  });
});

test('enqueueAt in the past goes straight to the queue; enqueueAt(NaN) is a ConfigError', async () => {
  await withErrand(async (errand) => {
    const job = defineJob({ name: 'WPast', queue: 'w-past', async perform(_n: number) {} });
    const admin = await errand.admin();
    await errand.enqueueAt(new Date(Date.now() - 60_000), job, 1);
    await errand.enqueueAt(Date.now() - 1, job, 2);
    assert.equal(await admin.scheduledCount(), 0, 'a job already due skips the scheduled set');
    assert.deepEqual((await admin.peek('w-past', 0, 10)).map((p) => JSON.parse(p).args[0]), [1, 2]);
    for (const when of [NaN, new Date('not a date'), Infinity]) {
      await assert.rejects(async () => errand.enqueueAt(when, job, 3), ConfigError, `enqueueAt(${String(when)})`);
    }
    assert.equal(await admin.scheduledCount(), 0);
    assert.equal((await admin.peek('w-past', 0, 10)).length, 2, 'a refused enqueueAt stores nothing');
  });
});

for (const kind of ['redis', 'sqlite'] as const) {
  test(`enqueueBulk of 12,000 jobs keeps their order across chunks (${kind})`, async () => {
    const dir = kind === 'sqlite' ? mkdtempSync(join(tmpdir(), 'errand-bulk-')) : undefined;
    await withErrand(async (errand) => {
      const job = defineJob({ name: kind === 'redis' ? 'WBulkRedis' : 'WBulkSqlite', queue: 'w-bulk', async perform(_n: number) {} });
      const count = 12_000; // more than two chunks of a bulk enqueue
      const stored = await errand.enqueueBulk(job, Array.from({ length: count }, (_, i) => [i] as [number]));
      assert.equal(stored.length, count);
      const queued = (await (await errand.admin()).peek('w-bulk', 0, count + 1)).map((p) => JSON.parse(p).args[0] as number);
      assert.equal(queued.length, count);
      const outOfPlace = queued.findIndex((n, i) => n !== i);
      assert.equal(outOfPlace, -1, `job ${queued[outOfPlace]} is at position ${outOfPlace}`);
    }, dir ? { url: `sqlite:${join(dir, 'bulk.db')}` } : {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

test('unknown job names (past their deploy window) and garbage in a queue go to failed; other jobs still run', async () => {
  await withErrand(async (errand, namespace) => {
    const good = defineJob({ name: 'WGood', queue: 'w-garbage', async perform() {} });
    const store = await errand.store();
    // unknown_since 0: first seen unknown long ago, so its wait for a deploy is over (see test/unknown-jobs.test.ts).
    await store.push([{ queue: 'w-garbage', payload: '{"class":"NoSuchJob","args":[],"unknown_since":0}' }, { queue: 'w-garbage', payload: '<html>' }, { queue: 'w-garbage', payload: '{"args":[1]}' }]);
    await errand.enqueue(good);
    let completed = 0;
    const worker = errand.worker({ queues: 'w-garbage' });
    worker.on('completed', () => completed++);
    await worker.start();
    const admin = await errand.admin();
    await waitFor('3 failures', async () => (await admin.failedCount()) === 3);
    await waitFor('good job ran', () => completed === 1);
    const errors = (await admin.failed(0, 3)).map((f) => `${f.entry?.exception}: ${f.entry?.error}`);
    assert.match(errors[0]!, /^UnknownJobError: unknown job "NoSuchJob"/);
    assert.match(errors[1]!, /^MalformedPayloadError: payload is not JSON/);
    assert.match(errors[2]!, /^MalformedPayloadError: payload has no "class"/);
    assert.equal((await admin.failed(1, 1))[0]!.entry?.payload, '<html>', 'a non-JSON payload is kept verbatim');
    assert.ok(namespace);
    await worker.stop();
  });
});

test('stop() puts back jobs that did not finish by the deadline; nothing is lost', async () => {
  await withErrand(async (errand) => {
    const started: number[] = [];
    const job = defineJob({ name: 'WStuck', queue: 'w-stop', async perform(n: number) { started.push(n); await new Promise((resolve) => setTimeout(resolve, 10_000).unref()); } });
    await errand.enqueueBulk(job, [[1], [2], [3], [4], [5]]);
    const worker = errand.worker({ queues: 'w-stop', concurrency: 2 });
    await worker.start();
    await waitFor('two started', () => started.length === 2);
    await worker.stop({ deadline: new Date(Date.now() + 100) });
    const admin = await errand.admin();
    const stats = await admin.stats();
    assert.equal(stats.queues.find((q) => q.name === 'w-stop')?.size, 5, 'all five are back on the queue');
    const queued = (await admin.peek('w-stop', 0, 10)).map((p) => JSON.parse(p).args[0]);
    assert.deepEqual(queued, [1, 2, 3, 4, 5], 'order kept: the running ones went back ahead of the buffered ones');
    assert.equal(stats.workers.length, 0, 'the worker unregistered');
  });
});

test('stop() puts buffered jobs back at once, before it waits for the running ones', async () => {
  await withErrand(async (errand) => {
    const started: number[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => { finish = resolve; });
    const job = defineJob({ name: 'WHeld', queue: 'w-stop-order', async perform(n: number) { started.push(n); await finished; } });
    await errand.enqueueBulk(job, [[1], [2], [3], [4], [5]]);
    const worker = errand.worker({ queues: 'w-stop-order', concurrency: 2 });
    await worker.start();
    await waitFor('two started', () => started.length === 2);
    const admin = await errand.admin();
    const stopping = worker.stop({ timeout: '1m' });
    // While the two running jobs hold the stop, every job that had not started is back on the
    // queue, in order, and the worker holds only the running two.
    await waitFor('the unstarted jobs back on the queue during the wait', async () => (await admin.peek('w-stop-order', 0, 10)).length === 3);
    assert.deepEqual((await admin.peek('w-stop-order', 0, 10)).map((p) => JSON.parse(p).args[0]), [3, 4, 5]);
    assert.deepEqual((await admin.workers()).map((w) => w.inFlight), [2]);
    assert.deepEqual(started, [1, 2], 'nothing more started once stop() began');
    finish();
    await stopping;
    assert.deepEqual(started, [1, 2]);
    assert.deepEqual((await admin.peek('w-stop-order', 0, 10)).map((p) => JSON.parse(p).args[0]), [3, 4, 5]);
    assert.equal((await admin.stats()).processed, 2, 'the running two finished and were settled');
  });
});

test('inline mode runs the job at once after the JSON round trip and hooks', async () => {
  const seen: unknown[] = [];
  const vetoAll: Plugin = { beforeEnqueue: (job) => job.args[0] !== 'veto' };
  const job = defineJob({ name: 'WInline', queue: 'w-inline', async perform(payload: { n: number; tags: string[] }) { seen.push(payload); if (payload.n < 0) throw new Error('negative'); } });
  const errand = createErrand({ url: 'redis://127.0.0.1:1', inline: true, logger: quiet, plugins: [vetoAll] });
  const input = { n: 1, tags: ['a'] };
  await errand.enqueue(job, input);
  assert.deepEqual(seen, [input]);
  assert.notEqual(seen[0], input, 'the job got a JSON copy, as a worker would');
  await assert.rejects(errand.enqueue(job, { n: -1, tags: [] }), /negative/);
  await assert.rejects(errand.enqueue(job, { n: 1, tags: [new Date() as never] }), /Date instance/);
  const hangs = defineJob({ name: 'WInlineHang', timeout: 30, async perform(ctx: JobContext) { await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)); await new Promise(() => {}); } });
  await assert.rejects(errand.enqueue(hangs), JobTimeoutError, 'inline mode applies the job timeout too');
  await errand.close();
});

// Catches: a worker taking jobs from a queue an operator paused, or not coming back for them on resume.
test('a worker skips a paused queue (its job stays queued) and takes its jobs once it is resumed', async () => {
  await withErrand(async (errand) => {
    const ran: string[] = [];
    const held = defineJob({ name: 'WQueueHeld', queue: 'w-held', async perform(tag: string) { ran.push(tag); } });
    const open = defineJob({ name: 'WQueueOpen', queue: 'w-open', async perform(tag: string) { ran.push(tag); } });
    const admin = await errand.admin();
    await admin.setQueuePaused('w-held', true);
    await errand.enqueue(held, 'held');
    await errand.enqueue(open, 'open');
    // Strict priority: w-held first, so the one reserve that takes 'open' would have taken 'held' too.
    const worker = errand.worker({ queues: ['w-held', 'w-open'] });
    await worker.start();
    await waitFor('the open queue ran', () => ran.length === 1);
    assert.deepEqual(ran, ['open']);
    assert.equal((await admin.stats()).queues.find((q) => q.name === 'w-held')?.size, 1, 'the held job waits in its queue');
    await admin.setQueuePaused('w-held', false);
    await waitFor('the held job ran after resume', () => ran.length === 2);
    assert.deepEqual(ran, ['open', 'held']);
    await worker.stop();
  });
});

test('pause() stops taking jobs; resume() takes them again', async () => {
  await withErrand(async (errand) => {
    let ran = 0;
    const job = defineJob({ name: 'WPause', queue: 'w-pause', async perform() { ran++; } });
    const worker = errand.worker({ queues: 'w-pause', pollInterval: 50 });
    await worker.start();
    worker.pause();
    await errand.enqueue(job);
    const admin = await errand.admin();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(ran, 0);
    assert.equal((await admin.stats()).queues[0]?.size, 1);
    worker.resume();
    await waitFor('ran after resume', () => ran === 1);
    await worker.stop();
  });
});

test('an idle worker finds jobs pushed without a wake-up announcement (as Ruby Resque pushes them) at its heartbeat, not its poll', async () => {
  let idle = false;
  await withErrand(async (errand, ns) => {
    const seen: number[] = [];
    defineJob({ name: 'WRuby', queue: 'w-ruby', async perform(n: number) { seen.push(n); } });
    // A minute's poll: only the heartbeat (every 200 ms while idle here) can find the job in time.
    const worker = errand.worker({ queues: 'w-ruby', pollInterval: 60_000, heartbeatInterval: 100, deadAfter: 1_000 });
    await worker.start();
    // queueEmpty runs as the worker goes to wait on the wake-up channel.
    await waitFor('the worker to go idle', () => idle);
    const redis = new Redis(REDIS_URL);
    try {
      // What Resque.enqueue writes: SADD and RPUSH, no announcement.
      await redis.sadd(`${ns}:queues`, 'w-ruby');
      await redis.rpush(`${ns}:queue:w-ruby`, '{"class":"WRuby","args":[7]}');
      await waitFor('the unannounced job ran', () => seen.length === 1, 10_000);
      assert.deepEqual(seen, [7]);
    } finally {
      redis.disconnect();
      await worker.stop();
    }
  }, { plugins: [{ queueEmpty: () => { idle = true; } }] });
});

test('a worker declared dead while alive: its late outcome changes nothing, the job runs again, it registers again and takes new work', async () => {
  await withErrand(async (errand) => {
    let runs = 0;
    let lateFailure!: () => void;
    const late = new Promise<void>((resolve) => { lateFailure = resolve; });
    const job = defineJob({
      name: 'WDeclaredDead', queue: 'w-dead',
      async perform(what: string) {
        if (what !== 'held') return;
        // The first run outlives its worker's registration, then fails: that outcome must be dropped.
        if (++runs === 1) {
          await late;
          throw new Error('late outcome of a worker declared dead');
        }
      },
    });
    const failedEvents: unknown[] = [];
    const completed: string[] = [];
    // Two slots: the dropped first run keeps one busy while the job runs again in the other.
    const worker = errand.worker({ queues: 'w-dead', concurrency: 2, heartbeatInterval: 100, deadAfter: 1_000 });
    worker.on('failed', (info) => failedEvents.push(info.args));
    worker.on('completed', (info) => completed.push(info.args[0] as string));
    await worker.start();
    await errand.enqueue(job, 'held');
    await waitFor('the first run to start', () => runs === 1);
    const store = await errand.store();
    const admin = await errand.admin();
    // As the other workers would see it after a long pause of this process: the store hands its
    // jobs back (unregistering the instance has the same effect on the store as an expired lease
    // being reaped, without waiting for one).
    const declaredDead = worker.id!;
    await store.unregister(declaredDead);
    assert.equal((await store.heartbeat(declaredDead, { workingOn: null })).known, false, 'the store no longer knows the instance');
    await waitFor('the job to run again, in the worker registered anew', () => runs === 2 && completed.includes('held'));
    lateFailure();
    // A job enqueued after the late outcome: once it is settled, anything this worker tried to
    // settle before it has been written too.
    await errand.enqueue(job, 'new work');
    await waitFor('new work done', () => completed.includes('new work'));
    const stats = await waitFor('both settled', async () => { const st = await admin.stats(); return st.processed === 2 ? st : null; });
    assert.equal(runs, 2, 'the held job ran twice: at least once, never lost');
    assert.deepEqual(failedEvents, [], 'the late failure was not reported as the job\'s outcome');
    assert.deepEqual([stats.processed, stats.failed, stats.failedCount, stats.scheduled], [2, 0, 0, 0], 'the late outcome changed no counter');
    assert.equal(stats.workers.length, 1, 'the worker is registered again');
    assert.equal(stats.workers[0]!.inFlight, 0);
    await worker.stop();
  });
});
