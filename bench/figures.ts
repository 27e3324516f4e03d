// The measurements. Each figure runs one system once, on a fresh namespace, and returns named
// numbers; main.ts runs them in alternating rounds and report.ts takes medians. Every count a
// worker reports is checked against the jobs it was given (a fast wrong answer is no answer).

import { randomBytes } from 'node:crypto';
import type { Adapter } from './adapters/types.ts';
import { redisCommandCount } from './adapters/redis-util.ts';
import { absNow } from './protocol.ts';
import { WorkerProcess } from './worker-process.ts';
import { runRequestFigure } from './request-figures.ts';

export const FIGURES = ['processed50', 'processed1', 'bulk', 'single', 'enqueue', 'http', 'latency', 'backlog', 'idle'] as const;
/** `--requests`: the figures a web request feels (start → first job comes with processed50). */
export const REQUEST_FIGURES: readonly Figure[] = ['single', 'enqueue', 'http', 'latency', 'processed50'];
export type Figure = (typeof FIGURES)[number];
export type Metrics = Record<string, number>;

export interface FigureOptions {
  jobs: number;
  /** Jobs waiting in the big-backlog run (errand only). */
  backlog: number;
  /** Idle CPU: every system's worker starts together, settles this long, then is measured over idleWindows windows of idleMs (median). */
  idleSettleMs: number;
  idleMs: number;
  idleWindows: number;
  /** Jobs, one every 5 ms, that give the enqueue → start latency. */
  latencyJobs: number;
  /** HTTP requests in the http figure (the enqueue figure uses jobs/4 sequential, jobs concurrent). */
  httpRequests?: number;
}

/** The concurrent callers in one process of the enqueue and http figures: a busy web server. */
const CALLERS = 50;

export class CountMismatch extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const freshNs = (adapter: Adapter) => `bench-${adapter.name}-${randomBytes(4).toString('hex')}`;
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const rate = (jobs: number, ms: number) => (jobs / ms) * 1000;

async function withNamespace<T>(adapter: Adapter, run: (ns: string) => Promise<T>): Promise<T> {
  const ns = freshNs(adapter);
  try {
    return await run(ns);
  } finally {
    await adapter.teardown(ns);
  }
}

/** Enqueues in bulk by chunks of 10k (so a 1M backlog is not one giant payload). */
async function fill(adapter: Adapter, ns: string, jobs: number): Promise<void> {
  const producer = await adapter.producer(ns);
  for (let i = 0; i < jobs; i += 10_000) await producer.enqueueBulk(range(Math.min(10_000, jobs - i), i));
  await producer.close();
}

/** Starts a worker child on `ns`, times it to `expect` done jobs, stops it, checks the count. */
async function timeWorker(adapter: Adapter, ns: string, concurrency: number, expect: number, exact: boolean, timeoutMs = 300_000) {
  const worker = new WorkerProcess({ system: adapter.name, ns, concurrency, expect, latency: false });
  try {
    await worker.next('ready');
    worker.send({ cmd: 'start' });
    const done = await worker.next('done', timeoutMs);
    const stopped = await worker.stop();
    if (exact ? stopped.count !== expect : stopped.count < expect) throw new CountMismatch(`${adapter.name}: ${stopped.count} jobs done, ${expect} given`);
    return { ms: done.ms, firstMs: done.firstMs, rssBytes: done.rssBytes, count: stopped.count };
  } finally {
    worker.kill();
  }
}

async function processed(adapter: Adapter, concurrency: number, jobs: number): Promise<Metrics> {
  return withNamespace(adapter, async (ns) => {
    const commandsBefore = adapter.store === 'redis' ? await redisCommandCount() : 0;
    await fill(adapter, ns, jobs);
    const run = await timeWorker(adapter, ns, concurrency, jobs, true);
    const metrics: Metrics = { [`processed${concurrency}/s`]: rate(jobs, run.ms), jobs: run.count };
    // Start-up (connect, register, first fetch) is inside the timing, as a deploy would see it;
    // this shows how much of it that was.
    if (concurrency === 50) Object.assign(metrics, { 'start → first job ms': run.firstMs, 'worker RSS MB': run.rssBytes / 2 ** 20 });
    // Commands from enqueue to done, per job: global to the Redis server, so other clients add noise.
    if (adapter.store === 'redis' && concurrency === 50) metrics['redis cmds/job'] = ((await redisCommandCount()) - commandsBefore) / jobs;
    return metrics;
  });
}

async function bulk(adapter: Adapter, jobs: number): Promise<Metrics> {
  return withNamespace(adapter, async (ns) => {
    const producer = await adapter.producer(ns);
    const bytesBefore = await adapter.storeBytes(ns);
    const started = performance.now();
    await producer.enqueueBulk(range(jobs));
    const ms = performance.now() - started;
    await producer.close();
    const bytes = (await adapter.storeBytes(ns)) - bytesBefore;
    return { 'bulk enqueue/s': rate(jobs, ms), 'store bytes/waiting job': bytes / jobs, jobs };
  });
}

async function single(adapter: Adapter, jobs: number): Promise<Metrics> {
  return withNamespace(adapter, async (ns) => {
    const producer = await adapter.producer(ns);
    const started = performance.now();
    for (let i = 0; i < jobs; i++) await producer.enqueueOne(i);
    const ms = performance.now() - started;
    await producer.close();
    return { 'single enqueue/s': rate(jobs, ms), jobs };
  });
}

const LATENCY_SETTLE_MS = 2_000;

/** An idle worker (2 s after its start), then `jobs` jobs one every 5 ms, timed enqueue → start. */
async function latency(adapter: Adapter, jobs: number): Promise<Metrics> {
  return withNamespace(adapter, async (ns) => {
    const producer = await adapter.producer(ns);
    const worker = new WorkerProcess({ system: adapter.name, ns, concurrency: 50, expect: jobs, latency: true });
    try {
      await worker.next('ready');
      worker.send({ cmd: 'start' });
      await worker.next('started');
      // Let start-up work finish (registration, first polls, and errand's lease thread, which in a
      // checkout compiles its modules with tsx: up to a second of CPU on a busy 2-core machine).
      await sleep(LATENCY_SETTLE_MS);
      const t0 = performance.now();
      for (let i = 0; i < jobs; i++) {
        await sleep(t0 + i * 5 - performance.now());
        await producer.enqueueOne(absNow());
      }
      await worker.next('done', 60_000);
      const { latencies, count } = await worker.stop();
      if (count !== jobs) throw new CountMismatch(`${adapter.name}: ${count} latency jobs done, ${jobs} given`);
      const sorted = latencies.sort((a, b) => a - b);
      return {
        'latency p50 ms': sorted[Math.floor(sorted.length * 0.5)]!,
        'latency p99 ms': sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!,
      };
    } finally {
      worker.kill();
      await producer.close();
    }
  });
}

/**
 * Idle CPU of every system at once: one worker each, started together, left to settle past
 * start-up (module loading, JIT, V8's first idle-time garbage collections, which cost every
 * system alike and dwarf steady idle work), then measured over the same windows. Idle workers
 * use well under 1 % of a core, so running them side by side does not disturb the figure.
 */
export async function idleAll(adapters: readonly Adapter[], options: FigureOptions): Promise<Map<Adapter, Metrics>> {
  const runs = adapters.map((adapter) => ({ adapter, ns: freshNs(adapter), worker: undefined as WorkerProcess | undefined }));
  try {
    for (const run of runs) run.worker = new WorkerProcess({ system: run.adapter.name, ns: run.ns, concurrency: 50, expect: 1, latency: false });
    await Promise.all(runs.map((run) => run.worker!.next('ready')));
    for (const run of runs) run.worker!.send({ cmd: 'start' });
    await Promise.all(runs.map((run) => run.worker!.next('started')));
    await sleep(options.idleSettleMs);
    for (const run of runs) run.worker!.send({ cmd: 'idle', ms: options.idleMs, windows: options.idleWindows });
    const figures = await Promise.all(runs.map((run) => run.worker!.next('idle', options.idleMs * options.idleWindows + 30_000)));
    await Promise.all(runs.map((run) => run.worker!.stop()));
    return new Map(runs.map((run, i) => [run.adapter, { 'idle worker CPU %': figures[i]!.cpuPercent }]));
  } finally {
    for (const run of runs) run.worker?.kill();
    for (const run of runs) await run.adapter.teardown(run.ns);
  }
}

/** Throughput of the first `measured` jobs with `waiting` jobs queued: cost per job vs backlog. */
/** NaN (reported as missing) when the jobs are not done within 90 s, so one slow store cannot stall the run. */
export async function backlogRun(adapter: Adapter, ns: string, measured: number): Promise<number> {
  try {
    const run = await timeWorker(adapter, ns, 50, measured, false, 90_000);
    return rate(measured, run.ms);
  } catch (error) {
    if (error instanceof CountMismatch) throw error;
    console.error(`backlog: ${(error as Error).message}`);
    return NaN;
  }
}
export { fill };

export async function runFigure(figure: Exclude<Figure, 'backlog' | 'idle'>, adapter: Adapter, options: FigureOptions): Promise<Metrics> {
  switch (figure) {
    case 'processed50': return processed(adapter, 50, options.jobs);
    case 'processed1': return processed(adapter, 1, adapter.jobsAtConcurrency1(options.jobs));
    case 'bulk': return bulk(adapter, options.jobs);
    case 'single': return single(adapter, Math.ceil(options.jobs / 4));
    case 'latency': return latency(adapter, options.latencyJobs);
    case 'enqueue':
    case 'http': {
      const requestOptions = { sequentialJobs: Math.ceil(options.jobs / 4), concurrentJobs: options.jobs, httpRequests: options.httpRequests ?? options.jobs / 2, callers: CALLERS };
      return withNamespace(adapter, (ns) => runRequestFigure(figure, adapter, ns, requestOptions));
    }
  }
}
