// A supervised pool's /metrics (issue #13, part 1): `errand work --processes 2 --health-port 0`
// serves one coherent set, the sum of what both worker processes counted (sent in their
// heartbeats over the IPC channel) plus the store gauges read by the supervisor alone; a
// process that leaves keeps its counts in the sum and takes its slots with it. Real processes,
// on both stores: real Redis on a namespace of its own, and a SQLite file the processes share.
// And the sum itself (PoolMetrics): late heartbeats, reused pids.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createErrand } from '../src/index.ts';
import { JOBS, REDIS_URL, ROOT, waitFor } from './support/cli-harness.ts';
import { ERRAND, jobFile } from './support/errand-bin.ts';
import { deleteNamespace, uniqueNamespace } from './support/redis.ts';
import { parseExposition, valueOf } from './support/prometheus.ts';
import { quiet } from './support/errand.ts';
import { Nap } from './fixtures/supervisor-jobs.ts';
import { Boom } from './fixtures/cli-jobs.ts';
import { PoolMetrics } from '../src/metrics/pool-metrics.ts';
import { emptySnapshot, type MetricsSnapshot } from '../src/metrics/snapshot.ts';

const SV_JOBS = jobFile(join(ROOT, 'test', 'fixtures', 'supervisor-jobs.ts'));

for (const kind of ['redis', 'sqlite'] as const) test(`${kind}: the supervisor's /metrics sums both processes' counters; counts survive a process leaving`, async () => {
  const namespace = uniqueNamespace('errand-metrics-pool');
  const dir = mkdtempSync(join(tmpdir(), 'errand-metrics-pool-'));
  const out = join(dir, 'out.txt');
  const store = kind === 'redis' ? ['--url', REDIS_URL, '--namespace', namespace] : ['--url', `sqlite:${join(dir, 'pool.db')}`];
  const env: NodeJS.ProcessEnv = { ...process.env, ERRAND_TEST_OUT: out };
  for (const name of ['ERRAND_URL', 'REDIS_URL', 'QUEUE', 'QUEUES', 'COUNT', 'VERBOSE', 'VVERBOSE', 'ERRAND_SUPERVISED']) delete env[name];
  const sv = spawn(process.execPath, [...ERRAND, 'work', '--require', SV_JOBS, '--require', JOBS, ...store,
    '--processes', '2', '--health-port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  sv.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  sv.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<number | null>((resolve) => sv.on('close', (code) => resolve(code)));
  const lines = () => log.split('\n').flatMap((line) => { try { return [JSON.parse(line) as Record<string, unknown>]; } catch { return []; } });
  const client = createErrand({ url: store[1]!, ...(kind === 'redis' ? { namespace } : {}), logger: quiet, jobs: [Nap, Boom] });
  try {
    const port = await waitFor('the health port', () => lines().find((line) => typeof line.port === 'number')?.port as number | undefined);
    await waitFor('two worker processes ready', () => lines().filter((line) => /^worker process \d+ ready$/.test(String(line.msg))).length === 2);
    const scrape = async () => parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());

    await client.enqueueBulk(Nap, Array.from({ length: 6 }, (_, i) => [`n${i}`, 300] as [string, number]));
    await client.enqueueBulk(Boom, [['b0'], ['b1']]);
    const done = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((line) => line.startsWith('done ')) : []);
    await waitFor('the six naps to finish', () => done().length === 6);
    assert.equal(new Set(done().map((line) => line.split(' ')[2])).size, 2, 'both processes ran naps (else the sum proves nothing)');
    const nap = { queue: 'default', class: 'SvNap', outcome: 'success' };
    const boom = { queue: 'default', class: 'Boom' };
    // Heartbeats carry the counts once a second: wait for them, then every figure is exact.
    let m = await waitFor('the heartbeats to carry the counts', async () => {
      const scraped = await scrape();
      return valueOf(scraped, 'errand_jobs_processed_total', nap) === 6 && valueOf(scraped, 'errand_jobs_dead_total', boom) === 2 ? scraped : undefined;
    });
    assert.equal(valueOf(m, 'errand_jobs_processed_total', { ...boom, outcome: 'failure' }), 2);
    assert.equal(valueOf(m, 'errand_job_duration_seconds_count', nap), 6);
    assert.ok(valueOf(m, 'errand_job_duration_seconds_sum', nap)! >= 6 * 0.3, 'the naps\' durations add up');
    assert.equal(valueOf(m, 'errand_job_duration_seconds_bucket', { ...nap, le: '0.25' }), 0);
    assert.equal(valueOf(m, 'errand_job_duration_seconds_bucket', { ...nap, le: '0.5' }), 6);
    assert.equal(valueOf(m, 'errand_worker_slots'), 2, 'two processes of concurrency 1');
    assert.equal(valueOf(m, 'errand_workers'), 2, 'read from the store');
    assert.equal(valueOf(m, 'errand_failed_jobs'), 2);
    assert.equal(valueOf(m, 'errand_queue_size', { queue: 'default' }), 0);

    sv.kill('SIGTTOU');
    await waitFor('one process to leave', () => lines().some((line) => /^worker process \d+ exited/.test(String(line.msg))));
    m = await waitFor('the slots of the one left', async () => {
      const scraped = await scrape();
      return valueOf(scraped, 'errand_worker_slots') === 1 ? scraped : undefined;
    });
    assert.equal(valueOf(m, 'errand_jobs_processed_total', nap), 6, 'the counts of the process that left stay in the sum');
    assert.equal(valueOf(m, 'errand_jobs_dead_total', boom), 2);
    sv.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    sv.kill('SIGKILL');
    await client.close();
    if (kind === 'redis') await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the pool\'s sum: a heartbeat read after its child\'s exit still counts, once; a reused pid is a new child; slots leave with the child', async () => {
  const counted = (success: number, busy: number) => {
    const s = emptySnapshot();
    s.jobs.push({ queue: 'q', class: 'C', enqueued: 0, success, failure: 0, retried: 0, dead: 0, durationSuccess: { counts: [success], sum: 0 }, durationFailure: { counts: [0], sum: 0 }, latency: { counts: [0], sum: 0 } });
    s.slots = { workers: 1, total: 2, busy };
    return s;
  };
  const success = (m: MetricsSnapshot) => m.jobs.find((s) => s.class === 'C')?.success ?? 0;
  const pool = new PoolMetrics();
  const first = { pid: 100 };
  const second = { pid: 100 }; // the same pid, a later process
  pool.reported(first, counted(3, 1));
  pool.exitedChild(first);
  assert.equal(success(pool.snapshot()), 3);
  assert.equal(pool.snapshot().slots.busy, 0, 'an exited child holds no slots');
  pool.reported(first, counted(5, 1)); // its final heartbeat, read after the exit
  assert.equal(success(pool.snapshot()), 5, 'the late heartbeat replaces the last one, not added to it');
  pool.reported(second, counted(2, 2));
  assert.equal(success(pool.snapshot()), 7);
  assert.equal(pool.snapshot().slots.busy, 2);
  const later = Date.now() + 60_000;
  assert.equal(success(pool.snapshot(later)), 7, 'folded in for good after the grace');
  pool.reported(first, counted(9, 1)); // far too late: ignored
  assert.equal(success(pool.snapshot(later)), 7);
});
