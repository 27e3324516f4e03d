// Store outages (issue 4): a private redis-server (appendonly yes, appendfsync always) is
// SIGKILLed and restarted under a working `errand work` process; a SQLite file is write-locked by
// another process for longer than the busy timeout. Enqueue must fail fast with StoreError, the
// worker must not crash and must reconnect by itself, and no accepted job may be lost.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createErrand, StoreError } from '../src/index.ts';
import { ChaosJob } from '../chaos/jobs.ts';
import { readRuns } from '../chaos/check.ts';
import { RedisServer } from '../chaos/redis-server.ts';
import { ROOT, WorkerPool, type WorkerProcess } from '../chaos/workers.ts';
import { waitFor } from './support/redis.ts';

/** The connect timeout docs/guarantees.md promises by default; not read from src, so a changed default fails here. */
const DOCUMENTED_TIMEOUT_MS = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function started(pool: WorkerPool, worker: WorkerProcess): Promise<void> {
  await waitFor(`worker ${worker.pid} to start`, () => pool.ready().includes(worker) || worker.exit !== undefined, 60_000);
  assert.equal(worker.exit, undefined, 'the worker process exited while starting');
}

/** Ids 0..n-1 that no done-<pid>.txt file in `dir` records. */
function notDone(dir: string, ids: readonly number[], n: number): number[] {
  const { runs } = readRuns(dir, n);
  return ids.filter((id) => runs[id] === 0);
}

describe('store outages', { concurrency: true }, () => {
  test('redis-server killed -9 and restarted: the worker reconnects, enqueue fails fast with StoreError, no accepted job is lost', { timeout: 120_000 }, async () => {
    const server = await RedisServer.start({ aof: true });
    const dir = mkdtempSync(join(tmpdir(), 'errand-outage-'));
    const errand = createErrand({ url: server.url, namespace: 'outage', jobs: [ChaosJob] });
    const pool = new WorkerPool({ url: server.url, namespace: 'outage', dir, concurrency: 5 });
    try {
      const worker = pool.spawn();
      await started(pool, worker);
      const accepted: number[] = [];
      const afterRestart: number[] = [];
      const rejections: { ms: number; error: unknown }[] = [];
      let phase = 'up' as 'up' | 'down' | 'back';
      let next = 0;
      const producing = (async () => {
        while (!(phase === 'back' && afterRestart.length >= 50) && next < 5_000) {
          const id = next++;
          const begun = Date.now();
          try {
            await errand.enqueue(ChaosJob, id, 5, id % 10 === 0);
            accepted.push(id);
            if (phase === 'back') afterRestart.push(id);
          } catch (error) {
            rejections.push({ ms: Date.now() - begun, error });
          }
          await sleep(20);
        }
      })();
      await waitFor('jobs to flow before the outage', () => accepted.length >= 40, 20_000);
      await server.kill();
      phase = 'down';
      await waitFor('an enqueue to be rejected while the server is down', () => rejections.length > 0, 20_000);
      await sleep(7_000); // longer than deadAfter (5 s): the worker's heartbeat goes stale meanwhile
      await server.start();
      phase = 'back';
      await producing;
      assert.ok(rejections.length > 0, 'enqueues were rejected while the server was down');
      for (const { error, ms } of rejections) {
        assert.ok(error instanceof StoreError, `an enqueue rejected with ${String(error)}, not a StoreError`);
        // docs/guarantees.md: StoreError within the connect timeout (5 s by default), plus slack
        // for a loaded machine's timers. Against a killed server the connection is refused, so
        // this bounds the client's retrying, not only its timer.
        assert.ok(ms < DOCUMENTED_TIMEOUT_MS + 2_000, `an enqueue took ${ms} ms to reject: the promise is ${DOCUMENTED_TIMEOUT_MS} ms`);
      }
      await waitFor('every accepted job to complete', () => notDone(dir, accepted, next).length === 0, 40_000).catch(() => {
        assert.fail(`accepted jobs never completed (lost): ${notDone(dir, accepted, next).slice(0, 20).join(', ')}`);
      });
      assert.deepEqual(notDone(dir, afterRestart, next), [], 'jobs enqueued after the restart ran: the worker reconnected by itself');
      assert.equal(worker.exit, undefined, `the worker process must survive the outage (see ${worker.log})`);
      assert.equal(pool.all.length, 1, 'one worker process did all of it');
      pool.signal(worker, 'SIGTERM');
      await worker.exited;
      assert.equal((worker.exit as WorkerProcess['exit'])?.code, 0, 'the worker stops cleanly after the outage');
    } finally {
      await pool.killAll();
      await errand.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SQLite write-locked by another process beyond the busy timeout: enqueue rejects with a clear StoreError, nothing silently dropped', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'errand-outage-sqlite-'));
    const file = join(dir, 'errand.db');
    const errand = createErrand({ url: `sqlite:${file}`, jobs: [ChaosJob], timeout: 1_000 });
    try {
      await errand.enqueue(ChaosJob, 0, 1, false);
      // Another process takes the write lock and holds it for 4 s (busy timeout here: 1 s).
      const holder = spawn(process.execPath, ['-e', `
        const db = new (require('better-sqlite3'))(${JSON.stringify(file)});
        db.exec('BEGIN IMMEDIATE'); console.log('locked');
        setTimeout(() => { db.exec('COMMIT'); db.close(); }, 4000);`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => holder.once('exit', resolve));
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      const begun = Date.now();
      const error = await errand.enqueue(ChaosJob, 1, 1, false).then(() => undefined, (e: unknown) => e);
      const ms = Date.now() - begun;
      assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
      assert.match(error.message, /locked by another connection for more than 1000 ms/);
      assert.ok(error.message.includes(file), `the message names the file: ${error.message}`);
      assert.ok(ms >= 900 && ms < 15_000, `rejected after ${ms} ms: it waits the busy timeout, then fails`);
      await exited;
      await errand.enqueue(ChaosJob, 2, 1, false);
      const queued = (await (await errand.admin()).peek('chaos', 0, 10)).map((raw) => (JSON.parse(raw) as { args: number[] }).args[0]);
      assert.deepEqual(queued, [0, 2], 'every accepted enqueue is stored, the rejected one is not (its caller knows to retry)');
    } finally {
      await errand.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('connections cut again and again: no job is stranded in a live worker\'s in-flight set', {
    timeout: 90_000,
  }, async () => {
    const server = await RedisServer.start();
    const dir = mkdtempSync(join(tmpdir(), 'errand-cuts-'));
    const errand = createErrand({ url: server.url, namespace: 'cuts', jobs: [ChaosJob] });
    const pool = new WorkerPool({ url: server.url, namespace: 'cuts', dir, concurrency: 10 });
    try {
      const workers = [pool.spawn(), pool.spawn()];
      for (const worker of workers) await started(pool, worker);
      const redis = (await errand.store() as unknown as { redis: Redis }).redis;
      let next = 0;
      for (const end = Date.now() + 5_000; Date.now() < end;) {
        await errand.enqueueBulk(ChaosJob, Array.from({ length: 20 }, () => [next++, 2, false] as [number, number, boolean]));
        const mine = String(await redis.client('ID'));
        for (const line of String(await redis.client('LIST')).split('\n')) {
          const id = /^id=(\d+) /.exec(line)?.[1];
          if (id && id !== mine) await redis.client('KILL', 'ID', id).catch(() => {});
        }
        await sleep(20);
      }
      const admin = await errand.admin();
      // No more cuts: two live, healthy workers must run everything within a few seconds.
      const idle = await waitFor('queues and in-flight sets to empty', async () => {
        const stats = await admin.stats();
        return stats.queues.every((q) => q.size === 0) && stats.workers.every((w) => w.inFlight === 0);
      }, 10_000).catch(() => false);
      const stats = await admin.stats();
      const stranded = stats.workers.reduce((sum, w) => sum + w.inFlight, 0);
      assert.ok(idle, `${stranded} job(s) stranded in live workers' in-flight sets; not yet run: ${notDone(dir, Array.from({ length: next }, (_, i) => i), next).length}`);
    } finally {
      await pool.killAll();
      await errand.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
