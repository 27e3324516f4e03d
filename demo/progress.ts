// Watches errand from the outside, as an operator would: waits until the worker processes have
// registered, and until every handed-off job is finished. "Finished" needs both the store's
// view (nothing queued, scheduled for a retry, or held by a worker) and the job's own evidence
// (its output file), since the queue being empty alone does not prove the work happened.

import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdminStore, Stats } from '../src/index.ts';
import type { WorkerProcess } from './workers.ts';

/** Resolves once every worker process is registered in the store (its id holds its pid). */
export async function waitForWorkers(admin: AdminStore, workers: readonly WorkerProcess[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = workers.find((w) => w.child.exitCode !== null || w.child.signalCode !== null);
    if (dead) throw new Error(`worker process ${dead.pid} exited during start-up (see the workers' log)`);
    const ids = (await admin.workers()).map((w) => w.id);
    if (workers.every((w) => ids.some((id) => id.includes(`:${w.pid}:`)))) return;
    if (Date.now() > deadline) throw new Error(`worker processes did not register within ${timeoutMs / 1000} s (see the workers' log)`);
    await sleep(100);
  }
}

export function backlog(stats: Stats): { queued: number; scheduled: number; held: number } {
  return {
    queued: stats.queues.reduce((sum, q) => sum + q.size, 0),
    scheduled: stats.scheduled,
    held: stats.workers.reduce((sum, w) => sum + w.inFlight, 0),
  };
}

/** Polls until the store is drained and every output file exists; returns when that happened (ms, performance clock). */
export async function waitForJobs(admin: AdminStore, outputs: readonly string[], timeoutMs = 40_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let missing = [...outputs];
  for (;;) {
    missing = missing.filter((file) => !existsSync(file));
    const { queued, scheduled, held } = backlog(await admin.stats());
    if (missing.length === 0 && queued === 0 && scheduled === 0 && held === 0) return performance.now();
    if (performance.now() > deadline) {
      throw new Error(`handed-off jobs not finished after ${timeoutMs / 1000} s: ${missing.length} outputs missing, ${queued} queued, ${scheduled} scheduled, ${held} held`);
    }
    await sleep(50);
  }
}
