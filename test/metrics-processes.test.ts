// Metrics checks that need a process of their own (issue #13, part 1): a worker that nobody
// scrapes never loads prom-client (and without metrics has no observer), and `errand web`
// serves /metrics behind its --auth, and a pool started with --no-store-metrics serves its counters
// without the store gauges, and `errand web --no-metrics` serves none. Real processes on SQLite
// files under the temp folder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERRAND, jobFile } from './support/errand-bin.ts';
import { waitFor } from './support/redis.ts';
import { parseExposition, valueOf } from './support/prometheus.ts';

test('a worker nobody scrapes never loads prom-client; without metrics it has no observer at all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-metrics-cost-'));
  const fixture = join(import.meta.dirname, 'fixtures', 'metrics-cost.ts');
  try {
    const result = await new Promise<Record<string, boolean>>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', fixture, join(dir, 'cost.db')], (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(JSON.parse(stdout))));
    });
    assert.deepEqual(result, { offObserved: false, recordObserved: true, promClientLoaded: false }, 'recording needs no prom-client; only building the registry loads it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errand web serves /metrics behind its --auth: 401 without credentials, the store gauges with them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-metrics-web-'));
  const url = `sqlite:${join(dir, 'web.db')}`;
  const web = spawn(process.execPath, [...ERRAND, 'web', '--port', '0', '--auth', 'ops:secret', '--url', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  web.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  web.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => web.on('close', resolve));
  try {
    const base = await waitFor(`errand web to listen (${out})`, () => /errand dashboard on (http:\/\/\S+?)\/? /.exec(out)?.[1], 20_000);
    assert.equal((await fetch(`${base}/metrics`)).status, 401);
    const response = await fetch(`${base}/metrics`, { headers: { authorization: `Basic ${Buffer.from('ops:secret').toString('base64')}` } });
    assert.equal(response.status, 200);
    const m = parseExposition(await response.text());
    assert.equal(valueOf(m, 'errand_store_up'), 1);
    assert.equal(valueOf(m, 'errand_failed_jobs'), 0);
    web.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    web.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errand work --health-port --no-store-metrics: the pool\'s counters and slots, no store gauges (another process reads them)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-metrics-no-store-'));
  const root = join(import.meta.dirname, '..');
  const env: NodeJS.ProcessEnv = { ...process.env, ERRAND_TEST_OUT: join(dir, 'out.txt') };
  for (const name of ['ERRAND_URL', 'REDIS_URL', 'QUEUE', 'QUEUES', 'COUNT', 'ERRAND_SUPERVISED']) delete env[name];
  const sv = spawn(process.execPath, [...ERRAND, 'work', '--require', jobFile(join(root, 'test', 'fixtures', 'cli-jobs.ts')),
    '--url', `sqlite:${join(dir, 'pool.db')}`, '--processes', '1', '--health-port', '0', '--no-store-metrics'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sv.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  sv.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => sv.on('close', resolve));
  try {
    const port = await waitFor(`the health port (${out})`, () => /"port":(\d+)/.exec(out)?.[1], 20_000);
    // The slots come with the child's first heartbeat: once they are there, the scrape is complete.
    const m = await waitFor('the worker\'s slots in /metrics', async () => {
      const scraped = parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      return valueOf(scraped, 'errand_worker_slots') === 1 ? scraped : undefined;
    }, 20_000);
    assert.ok(m.has('errand_jobs_processed_total'), 'the recorded metrics are served');
    for (const name of ['errand_store_up', 'errand_queue_size', 'errand_scheduled_jobs', 'errand_failed_jobs', 'errand_workers']) assert.ok(!m.has(name), `${name} is left out`);
    sv.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    sv.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errand web --no-metrics serves no /metrics (another process reads the store gauges); the dashboard still answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-metrics-web-off-'));
  const web = spawn(process.execPath, [...ERRAND, 'web', '--port', '0', '--no-metrics', '--url', `sqlite:${join(dir, 'web.db')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  web.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  web.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => web.on('close', resolve));
  try {
    const base = await waitFor(`errand web to listen (${out})`, () => /errand dashboard on (http:\/\/\S+?)\/?\s/.exec(out)?.[1], 20_000);
    assert.equal((await fetch(`${base}/metrics`)).status, 404);
    assert.equal((await fetch(`${base}/`)).status, 200);
    web.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    web.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
