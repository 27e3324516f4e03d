// Prometheus metrics in one process (issue #13, part 1), on both stores: after real jobs
// (success, failure, retry, dead, an unknown class, a payload that is not a job) the dashboard's
// GET /metrics counts each exactly with the right labels, the store gauges match the store, the
// text is valid exposition, and hostile ids, args and class names never become label values
// (an odd queue name, a legitimate label, comes out escaped). Also: store errors and
// reconnects, schedule runs, a dead worker's recovery (test/metrics-processes.test.ts: the
// checks that need processes of their own).
// Real Redis (own namespace) and a SQLite file under the temp folder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDashboard, createErrand, defineJob, type Errand } from '../src/index.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';
import { parseExposition, valueOf } from './support/prometheus.ts';
import { quiet } from './support/errand.ts';

const stores = {
  redis: async (fn: (errand: Errand) => Promise<void>) => {
    const namespace = uniqueNamespace('errand-metrics');
    const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet, metrics: true });
    try {
      await fn(errand);
    } finally {
      await errand.close();
      await deleteNamespace(namespace);
    }
  },
  sqlite: async (fn: (errand: Errand) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'errand-metrics-'));
    const errand = createErrand({ url: `sqlite:${join(dir, 'errand.db')}`, logger: quiet, metrics: true });
    try {
      await fn(errand);
    } finally {
      await errand.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const HOSTILE = 'evil"} 1\nerrand_jobs_dead_total{queue="x"} 999\n# TYPE';
/** A queue name as Ruby (or anyone with Redis access) may write one: a legitimate label value, which must come out escaped. */
const ODD_QUEUE = 'odd"} \\ \nqueue';

for (const [kind, withErrand] of Object.entries(stores)) {
  test(`${kind}: /metrics counts a known workload exactly, by queue, class and outcome; gauges match the store`, async () => {
    await withErrand(async (errand) => {
      const queue = `metrics-${kind}`;
      const parkedQueue = `parked-${kind}`;
      const ok = defineJob({ name: `MetricsOk_${kind}`, queue, perform(_text: string) {} });
      const boom = defineJob({ name: `MetricsBoom_${kind}`, queue, perform() { throw new Error('boom'); } });
      const flaky = defineJob({
        name: `MetricsFlaky_${kind}`, queue, retry: { attempts: 2, delay: 1, jitter: 0 },
        perform(_n: number, ctx) { if (ctx.attempt === 1) throw new Error('first attempt fails'); },
      });
      const parked = defineJob({ name: `MetricsParked_${kind}`, queue: parkedQueue, perform() {} });

      const worker = errand.worker({ queues: [queue], concurrency: 2 });
      let completed = 0;
      let failed = 0;
      worker.on('completed', () => completed++);
      worker.on('failed', () => failed++);
      for (const text of ['a', 'b', HOSTILE]) await errand.enqueue(ok, text);
      await errand.enqueueBulk(boom, [[], []]);
      await errand.enqueue(flaky, 1);
      const store = await errand.store();
      const now = Date.now();
      // Written by another producer: a hostile id and args on a known job, a hostile class, not JSON at all.
      await store.push([
        { queue, payload: JSON.stringify({ class: ok.name, args: [HOSTILE], id: HOSTILE, queue, enqueued_at: now, attempt: 1 }) },
        { queue, payload: JSON.stringify({ class: HOSTILE, args: [], id: `${HOSTILE}-2`, queue, enqueued_at: now, attempt: 1 }) },
        { queue, payload: 'not json {' },
        { queue: ODD_QUEUE, payload: JSON.stringify({ class: ok.name, args: ['x'] }) },
      ]);
      await worker.start();
      const admin = await errand.admin();
      await waitFor('the workload to finish', async () => completed === 5 && failed === 2 && (await admin.failedCount()) === 3 && (await admin.stats()).scheduled === 1);
      const parkedJob = await errand.enqueue(parked);
      await errand.enqueue(parked);

      const dashboard = createDashboard({ errand, metrics: true });
      const before = Date.now();
      const response = await dashboard.fetch(new Request('http://errand.test/metrics'));
      const after = Date.now();
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      const m = parseExposition(text);
      const q = { queue };
      const processed = (cls: string, outcome: string) => valueOf(m, 'errand_jobs_processed_total', { ...q, class: cls, outcome });
      assert.equal(processed(ok.name, 'success'), 4);
      assert.equal(processed(ok.name, 'failure'), undefined);
      assert.equal(processed(boom.name, 'failure'), 2);
      assert.equal(processed(flaky.name, 'failure'), 1);
      assert.equal(processed(flaky.name, 'success'), 1);
      assert.equal(processed('(unknown)', 'failure'), 1, 'the payload that is not a job');
      assert.equal(valueOf(m, 'errand_jobs_retried_total', { ...q, class: flaky.name }), 1);
      assert.equal(valueOf(m, 'errand_jobs_dead_total', { ...q, class: boom.name }), 2);
      assert.equal(valueOf(m, 'errand_jobs_dead_total', { ...q, class: '(unknown)' }), 1);
      assert.equal(valueOf(m, 'errand_jobs_dead_total', { ...q, class: flaky.name }), undefined);
      assert.equal(valueOf(m, 'errand_jobs_unknown_total', q), 1);
      assert.equal(valueOf(m, 'errand_jobs_enqueued_total', { ...q, class: ok.name }), 3, 'pushed by another producer: not enqueued here');
      assert.equal(valueOf(m, 'errand_jobs_enqueued_total', { ...q, class: boom.name }), 2);
      assert.equal(valueOf(m, 'errand_jobs_enqueued_total', { queue: parkedQueue, class: parked.name }), 2);
      assert.equal(valueOf(m, 'errand_job_duration_seconds_count', { ...q, class: ok.name, outcome: 'success' }), 4);
      assert.equal(valueOf(m, 'errand_job_duration_seconds_count', { ...q, class: boom.name, outcome: 'failure' }), 2);
      assert.equal(valueOf(m, 'errand_job_latency_seconds_count', { ...q, class: ok.name }), 4);
      assert.equal(valueOf(m, 'errand_job_latency_seconds_count', { ...q, class: flaky.name }), 1, 'first attempts only');
      assert.equal(valueOf(m, 'errand_worker_slots'), 2);

      const stats = await admin.stats();
      assert.equal(valueOf(m, 'errand_store_up'), 1);
      assert.equal(valueOf(m, 'errand_failed_jobs'), stats.failedCount);
      assert.equal(valueOf(m, 'errand_scheduled_jobs'), stats.scheduled, 'the unknown job waits for a worker that knows it');
      assert.equal(valueOf(m, 'errand_workers'), stats.workers.length);
      assert.equal(valueOf(m, 'errand_stat_processed_total'), stats.processed);
      assert.equal(valueOf(m, 'errand_stat_failed_total'), stats.failed);
      assert.equal(valueOf(m, 'errand_queue_size', { queue: parkedQueue }), 2);
      assert.equal(valueOf(m, 'errand_queue_size', q), 0);
      assert.equal(valueOf(m, 'errand_queue_size', { queue: ODD_QUEUE }), 1, 'an odd queue name is escaped and reads back exactly');
      const oldest = stats.queues.find((s) => s.name === parkedQueue)!.oldestEnqueuedAt!;
      assert.equal(oldest, parkedJob!.enqueuedAt);
      const latency = valueOf(m, 'errand_queue_latency_seconds', { queue: parkedQueue })!;
      assert.ok(latency >= (before - oldest) / 1000 && latency <= (after - oldest) / 1000, `queue latency ${latency} s is the oldest job's age`);

      // Only the documented label names, and only values from code or the store's queue names.
      const allowed: Record<string, Set<string>> = {
        queue: new Set([queue, parkedQueue, ODD_QUEUE]),
        class: new Set([ok.name, boom.name, flaky.name, parked.name, '(unknown)']),
        outcome: new Set(['success', 'failure']),
        store: new Set(['redis', 'sqlite']),
      };
      for (const family of m.values()) {
        for (const sample of family.samples) {
          for (const [label, value] of Object.entries(sample.labels)) {
            if (label === 'le') continue;
            assert.ok(allowed[label]?.has(value), `${sample.name} has label ${label}=${JSON.stringify(value)}`);
          }
        }
      }
      assert.ok(!text.includes('evil'), 'no hostile id, arg or class anywhere in the text');
      assert.ok(!m.has('errand_jobs_dead_total') || valueOf(m, 'errand_jobs_dead_total', { queue: 'x' }) === undefined);
    });
  });
}

test('/metrics obeys the dashboard\'s authorize hook and is GET only; off unless asked for', async () => {
  await stores.sqlite(async (errand) => {
    const denied = createDashboard({ errand, metrics: true, authorize: () => false });
    assert.equal((await denied.fetch(new Request('http://errand.test/metrics'))).status, 403);
    const open = createDashboard({ errand, metrics: true });
    const post = await open.fetch(new Request('http://errand.test/metrics', { method: 'POST' }));
    assert.notEqual(post.status, 200);
    const off = createDashboard({ errand });
    assert.equal((await off.fetch(new Request('http://errand.test/metrics'))).status, 404);
  });
});

test('errand.metrics() is a prom-client Registry an app can merge into its own', async () => {
  await stores.sqlite(async (errand) => {
    const { Registry, Counter } = await import('prom-client');
    const app = new Registry();
    new Counter({ name: 'app_requests_total', help: 'requests', registers: [app] });
    const merged = Registry.merge([app, await errand.metrics()]);
    const m = parseExposition(await merged.metrics());
    assert.ok(m.has('app_requests_total') && m.has('errand_jobs_processed_total') && m.has('errand_queue_size'));
    assert.equal(await errand.metrics(), await errand.metrics(), 'one registry per errand');
    const noStore = parseExposition(await (await errand.metrics({ store: false })).metrics());
    assert.ok(!noStore.has('errand_queue_size') && noStore.has('errand_jobs_processed_total'));
  });
});

test('store errors and reconnects are counted (a Redis that refuses connections)', async () => {
  const errand = createErrand({ url: 'redis://127.0.0.1:1', logger: quiet, timeout: 300 });
  try {
    const registry = await errand.metrics({ store: false });
    const read = async () => parseExposition(await registry.metrics());
    const before = await read();
    const job = defineJob({ name: 'MetricsNoStore', queue: 'nowhere', perform() {} });
    await assert.rejects(errand.enqueue(job), /Redis push failed/);
    const after = await waitFor('a reconnect attempt', async () => {
      const m = await read();
      return valueOf(m, 'errand_store_reconnects_total', { store: 'redis' })! > valueOf(before, 'errand_store_reconnects_total', { store: 'redis' })! ? m : undefined;
    });
    assert.equal(valueOf(after, 'errand_store_errors_total', { store: 'redis' }), valueOf(before, 'errand_store_errors_total', { store: 'redis' })! + 1, 'one failed enqueue, one error');
  } finally {
    await errand.close();
  }
});

test('schedule metrics: runs counted per schedule, last run time read from the store', async () => {
  await stores.sqlite(async (errand) => {
    const { defineSchedule } = await import('../src/index.ts');
    const tick = defineJob({ name: 'MetricsTick', queue: 'metrics-ticks', perform() {} });
    const schedule = defineSchedule({ name: 'metrics-every-second', every: '1s', job: tick, args: [] });
    const worker = errand.worker({ queues: ['metrics-ticks'], schedules: [schedule] });
    let ran = 0;
    worker.on('completed', () => ran++);
    await worker.start();
    await waitFor('two scheduled runs', () => ran >= 2);
    await worker.stop(); // the scheduler stops with it: the counts below are final
    const m = parseExposition(await (await errand.metrics()).metrics());
    const admin = await errand.admin();
    const waiting = (await admin.stats()).queues.find((q) => q.name === 'metrics-ticks')?.size ?? 0;
    assert.equal(valueOf(m, 'errand_schedule_runs_total', { schedule: schedule.name }), ran + waiting, 'every run enqueued: those run and those still waiting');
    const [state] = (await (await errand.store()).schedules().list()).filter((s) => s.name === schedule.name);
    assert.equal(valueOf(m, 'errand_schedule_last_run_timestamp_seconds', { schedule: schedule.name }), state!.lastRunAt! / 1000);
    assert.equal(valueOf(m, 'errand_schedule_missed_ticks_total', { schedule: schedule.name }), undefined);
  });
});

test('a dead worker\'s recovery is counted: one death, its job handed back (and run)', async () => {
  await stores.sqlite(async (errand) => {
    const job = defineJob({ name: 'MetricsOrphan', queue: 'metrics-orphans', perform() {} });
    const store = await errand.store();
    await errand.enqueue(job);
    // A worker that takes the job, starts it, and is never heard from again.
    const ghost = await store.register({ id: 'ghost:1:metrics-orphans', queues: ['metrics-orphans'], startedAt: new Date(), leaseMs: 200 });
    assert.equal((await store.reserve(ghost, ['metrics-orphans'], 1, 1)).length, 1);
    const worker = errand.worker({ queues: ['metrics-orphans'] });
    const ran = new Promise((resolve) => worker.on('completed', resolve));
    await worker.start();
    await ran;
    const m = parseExposition(await (await errand.metrics({ store: false })).metrics());
    assert.equal(valueOf(m, 'errand_worker_deaths_recovered_total'), 1);
    assert.equal(valueOf(m, 'errand_jobs_recovered_total'), 1);
    assert.equal(valueOf(m, 'errand_jobs_poisoned_total'), 0);
  });
});
