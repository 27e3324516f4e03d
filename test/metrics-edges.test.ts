// Prometheus metrics for the rarer events (issue #13, part 1), each counted exactly: a job that
// is poisoned (in flight in maxDeaths worker deaths, the last one reaped by a real worker), busy
// slots while a job blocks and after it ends, a schedule tick claimed too late (missed), a
// SQLite command that fails because another connection holds the write lock, and the errors and
// reconnects of a lease thread's own connection; the retrying gauge. Also: a dashboard's metrics
// without store gauges.
// Real Redis (own namespace) and SQLite files under the temp folder; no store mocks. The busy
// loop below is the only way to make a tick late without a fake clock: it is a cause, not a timing assertion.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createErrand, defineJob, defineSchedule, type Errand } from '../src/index.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';
import { parseExposition, valueOf } from './support/prometheus.ts';
import { quiet } from './support/errand.ts';

type WithErrand = (fn: (errand: Errand, file?: string) => Promise<void>, options?: Parameters<typeof createErrand>[0]) => Promise<void>;

const stores: Record<'redis' | 'sqlite', WithErrand> = {
  redis: async (fn, options = {}) => {
    const namespace = uniqueNamespace('errand-metrics-edges');
    const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet, metrics: true, ...options });
    try {
      await fn(errand);
    } finally {
      await errand.close();
      await deleteNamespace(namespace);
    }
  },
  sqlite: async (fn, options = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'errand-metrics-edges-'));
    const file = join(dir, 'errand.db');
    const errand = createErrand({ url: `sqlite:${file}`, logger: quiet, metrics: true, ...options });
    try {
      await fn(errand, file);
    } finally {
      await errand.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const scrape = async (errand: Errand) => parseExposition(await (await errand.metrics({ store: false })).metrics());

for (const [kind, withErrand] of Object.entries(stores)) {
  test(`${kind}: a job in flight in maxDeaths (3) worker deaths is poisoned, and counted once`, async () => {
    await withErrand(async (errand) => {
      const queue = `poison-${kind}`;
      const job = defineJob({ name: `MetricsPoison_${kind}`, queue, perform() {} });
      const store = await errand.store();
      await errand.enqueue(job);
      // Two ghosts take the job, start it and vanish; the store reaps them (not this errand's workers).
      for (const n of [1, 2]) {
        const ghost = await store.register({ id: `ghost:${n}:${queue}`, queues: [queue], startedAt: new Date(), leaseMs: 200 });
        assert.equal((await store.reserve(ghost, [queue], 1, 1)).length, 1);
        await waitFor(`ghost ${n} reaped`, async () => (await store.recover({ maxDeaths: 3, promoteLimit: 1_000, reapDead: true })).deadWorkers.includes(ghost));
      }
      // The third death is reaped by a real worker: its recorder counts the poisoning.
      const third = await store.register({ id: `ghost:3:${queue}`, queues: [queue], startedAt: new Date(), leaseMs: 200 });
      assert.equal((await store.reserve(third, [queue], 1, 1)).length, 1);
      const worker = errand.worker({ queues: [queue] });
      await worker.start();
      const admin = await errand.admin();
      await waitFor('the poisoned job in the failed list', async () => (await admin.failedCount()) === 1);
      const m = await scrape(errand);
      assert.equal(valueOf(m, 'errand_jobs_poisoned_total'), 1);
      assert.equal(valueOf(m, 'errand_worker_deaths_recovered_total'), 1, 'only the death this worker reaped');
      assert.equal(valueOf(m, 'errand_jobs_recovered_total'), 0, 'poisoned, not handed back');
      await worker.stop();
    });
  });
}

for (const [kind, withErrand] of Object.entries(stores)) {
  test(`${kind}: errand_retrying_jobs counts the retries waiting in the scheduled set, not delayed jobs nor unknown jobs put back`, async () => {
    await withErrand(async (errand) => {
      const queue = `retrying-${kind}`;
      const flaky = defineJob({ name: `MetricsRetrying_${kind}`, queue, retry: { attempts: 3, delay: '1h', jitter: 0 }, perform() { throw new Error('again later'); } });
      const worker = errand.worker({ queues: [queue] });
      let retried = 0;
      worker.on('retrying', () => retried++);
      await errand.enqueue(flaky);
      await errand.enqueueIn('1h', flaky);
      const store = await errand.store();
      await store.push([{ queue, payload: JSON.stringify({ class: 'NobodyKnowsMe', args: [], id: 'unknown-1', queue, enqueued_at: Date.now(), attempt: 1 }) }]);
      await worker.start();
      const admin = await errand.admin();
      await waitFor('the retry and the put-back in the scheduled set', async () => retried === 1 && (await admin.stats()).scheduled === 3);
      await worker.stop();
      const m = parseExposition(await (await errand.metrics()).metrics());
      assert.equal(valueOf(m, 'errand_scheduled_jobs'), 3);
      assert.equal(valueOf(m, 'errand_retrying_jobs'), 1);
    });
  });
}

test('busy slots: 1 while a job blocks, 0 once it ended; slots are the concurrency', async () => {
  await stores.sqlite(async (errand) => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const job = defineJob({ name: 'MetricsBlocks', queue: 'metrics-busy', async perform() { started(); await blocked; } });
    const worker = errand.worker({ queues: ['metrics-busy'], concurrency: 3 });
    const done = new Promise((resolve) => worker.on('completed', resolve));
    await worker.start();
    await errand.enqueue(job);
    await running;
    let m = await scrape(errand);
    assert.equal(valueOf(m, 'errand_worker_busy_slots'), 1);
    assert.equal(valueOf(m, 'errand_worker_slots'), 3);
    release();
    await done;
    // A scrape reuses its snapshot for 250 ms: wait for a fresh one rather than for a time.
    m = await waitFor('a snapshot taken after the job ended', async () => {
      const fresh = await scrape(errand);
      return valueOf(fresh, 'errand_worker_busy_slots') === 0 ? fresh : undefined;
    });
    assert.equal(valueOf(m, 'errand_worker_slots'), 3);
    await worker.stop();
  });
});

test('a schedule tick claimed too late is counted as missed, once; the next tick runs', async () => {
  await stores.sqlite(async (errand) => {
    const EVERY_MS = 3_000;
    const tick = defineJob({ name: 'MetricsLateTick', queue: 'metrics-late', perform() {} });
    const schedule = defineSchedule({ name: 'metrics-late', every: '3s', job: tick, args: [] });
    const worker = errand.worker({ queues: ['metrics-late'], schedules: [schedule] });
    await worker.start();
    // Not right after a tick: its timer may not have fired yet, and it would be late too.
    await waitFor('a moment between two ticks', () => Date.now() % EVERY_MS > 300 && Date.now() % EVERY_MS < EVERY_MS - 300);
    const next = Math.ceil(Date.now() / EVERY_MS) * EVERY_MS;
    // The event loop is held past the next tick by more than its on-time window (one interval)
    // but less than two: that tick is claimed late (missed), the one after it on time.
    while (Date.now() < next + EVERY_MS + 1_000) { /* a job hogging the event loop */ }
    const states = (await errand.store()).schedules();
    await waitFor('the tick after the missed one handled', async () => ((await states.list()).find((s) => s.name === schedule.name)?.cursor ?? 0) >= next + EVERY_MS);
    await worker.stop();
    const m = await scrape(errand);
    assert.equal(valueOf(m, 'errand_schedule_missed_ticks_total', { schedule: schedule.name }), 1);
    assert.ok(valueOf(m, 'errand_schedule_runs_total', { schedule: schedule.name })! >= 1, 'the tick after it ran');
  });
});

test('sqlite: a command that fails (the write lock held by another connection) is counted with store="sqlite"', async () => {
  await stores.sqlite(async (errand, file) => {
    const job = defineJob({ name: 'MetricsLocked', queue: 'metrics-locked', perform() {} });
    await errand.enqueue(job); // the store is open and migrated
    const before = valueOf(await scrape(errand), 'errand_store_errors_total', { store: 'sqlite' }) ?? 0;
    const other = new Database(file!);
    try {
      other.exec('BEGIN EXCLUSIVE');
      await assert.rejects(errand.enqueue(job), /locked/);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    await errand.enqueue(job); // the lock is gone: this one succeeds and counts nothing
    // A scrape reuses its snapshot for 250 ms: wait for one taken after the failure.
    const m = await waitFor('a snapshot with the failure', async () => {
      const fresh = await scrape(errand);
      return (valueOf(fresh, 'errand_store_errors_total', { store: 'sqlite' }) ?? 0) > before ? fresh : undefined;
    });
    assert.equal(valueOf(m, 'errand_store_errors_total', { store: 'sqlite' }), before + 1);
  }, { timeout: 200 });
});

test('createDashboard({ metrics: { store: false } }) serves the recorded metrics without the store gauges', async () => {
  await stores.sqlite(async (errand) => {
    const { createDashboard } = await import('../src/index.ts');
    const text = async (metrics: boolean | { store: boolean }) =>
      parseExposition(await (await createDashboard({ errand, metrics }).fetch(new Request('http://errand.test/metrics'))).text());
    const without = await text({ store: false });
    assert.ok(without.has('errand_jobs_processed_total') && !without.has('errand_store_up') && !without.has('errand_queue_size'));
    assert.equal(valueOf(await text(true), 'errand_store_up'), 1, 'and with them by default');
  });
});

test('the lease thread\'s own connection: its failed heartbeats and reconnects are added to this process\'s store counters', async () => {
  const { makeBeats } = await import('../src/worker/beats.ts');
  const { RedisStore } = await import('../src/storage/redis/store.ts');
  const { storeIncidents } = await import('../src/storage/incidents.ts');
  // A store nobody listens on. The worker's side of it is closed at once: from here on, every
  // error and reconnect counted comes from the thread's connection.
  const store = new RedisStore({ url: 'redis://127.0.0.1:1', namespace: 'errand-metrics-lease', commandTimeoutMs: 200 });
  await store.close();
  const before = storeIncidents();
  let failedBeats = 0;
  const beats = makeBeats(store, { heartbeatMs: 100, idleBeatMs: 100, stuckTimeoutMs: 60_000 }, {
    instance: () => 'metrics-lease:1:q', status: () => ({ workingOn: null }), holdsJobs: () => false, queues: () => ['q'],
    async onBeat(result) { if (!result.ok) failedBeats++; },
  }, quiet);
  beats.start();
  try {
    await waitFor('two failed heartbeats in the thread', () => failedBeats >= 2, 20_000);
  } finally {
    await beats.stop(); // the thread's last message carries its final totals
  }
  const after = storeIncidents();
  assert.equal(after.errors.redis - before.errors.redis, failedBeats, 'one error per failed heartbeat');
  assert.ok(after.reconnects.redis > before.reconnects.redis, 'its reconnects too');
  assert.equal(after.errors.sqlite, before.errors.sqlite);
});
