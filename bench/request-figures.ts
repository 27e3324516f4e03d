// The figures a web request feels: how long one awaited enqueue takes (its latency distribution,
// sequential and with 50 callers in one process, as a busy web server makes them), and the
// handler-side cost of an HTTP request that enqueues one job. The producer runs alone here (no
// worker), in the bench's main process; the HTTP load comes from a child process (http-load.mjs)
// so the generator does not share the server's event loop.

import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Adapter, Producer } from './adapters/types.ts';

export type Metrics = Record<string, number>;

export interface RequestFigureOptions {
  /** Awaited enqueues, one after another. */
  sequentialJobs: number;
  /** Awaited enqueues spread over `callers` concurrent loops. */
  concurrentJobs: number;
  /** Requests the HTTP load generator sends (over `callers` keep-alive connections). */
  httpRequests: number;
  callers: number;
}

const HTTP_LOAD = fileURLToPath(new URL('./http-load.mjs', import.meta.url));
const WARM_UP = 500;

/** The value below which `q` of the sorted samples lie (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))]!;
}

function distribution(prefix: string, samplesMs: number[]): Metrics {
  const sorted = samplesMs.sort((a, b) => a - b).map((ms) => ms * 1000);
  return { [`${prefix} p50 µs`]: percentile(sorted, 0.5), [`${prefix} p99 µs`]: percentile(sorted, 0.99), [`${prefix} p99.9 µs`]: percentile(sorted, 0.999) };
}

async function timedLoop(producer: Producer, jobs: number, samples: number[], next: () => number): Promise<void> {
  for (let i = next(); i < jobs; i = next()) {
    const started = performance.now();
    await producer.enqueueOne(i);
    samples.push(performance.now() - started);
  }
}

/** One awaited enqueue: sequential, then `callers` concurrent loops; rates and latency percentiles. */
export async function enqueueLatency(producer: Producer, options: RequestFigureOptions): Promise<Metrics> {
  for (let i = 0; i < WARM_UP; i++) await producer.enqueueOne(i);
  const sequential: number[] = [];
  let seqNext = 0;
  let started = performance.now();
  await timedLoop(producer, options.sequentialJobs, sequential, () => seqNext++);
  const seqMs = performance.now() - started;
  const concurrent: number[] = [];
  let next = 0;
  started = performance.now();
  await Promise.all(Array.from({ length: options.callers }, () => timedLoop(producer, options.concurrentJobs, concurrent, () => next++)));
  const concMs = performance.now() - started;
  return {
    'enqueue seq/s': (options.sequentialJobs / seqMs) * 1000,
    ...distribution('enqueue seq', sequential),
    [`enqueue c${options.callers}/s`]: (options.concurrentJobs / concMs) * 1000,
    ...distribution(`enqueue c${options.callers}`, concurrent),
    jobs: options.sequentialJobs + options.concurrentJobs + WARM_UP,
  };
}

/**
 * A node:http server whose handler enqueues one job and answers; a child process sends
 * `httpRequests` GETs over `callers` keep-alive connections. The figure is the handler-side time
 * of `await enqueue()` (what a request pays for handing its work over), and requests/s.
 */
export async function httpEnqueue(producer: Producer, options: RequestFigureOptions): Promise<Metrics> {
  const samples: number[] = [];
  let counter = 0;
  let failures = 0;
  const server: Server = createServer(async (_req, res) => {
    const started = performance.now();
    try {
      await producer.enqueueOne(counter++);
      samples.push(performance.now() - started);
      res.end('queued');
    } catch {
      failures++;
      res.statusCode = 500;
      res.end('failed');
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const result = await runLoad(port, options.httpRequests, options.callers);
    if (failures > 0 || result.errors > 0) throw new Error(`http figure: ${failures} failed enqueues, ${result.errors} failed requests`);
    // The first requests open connections and warm up; they are not the steady state.
    const steady = samples.slice(Math.min(samples.length >> 3, WARM_UP));
    return { 'http requests/s': result.rate, ...distribution('http enqueue', steady), jobs: samples.length };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

function runLoad(port: number, requests: number, callers: number): Promise<{ rate: number; errors: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(HTTP_LOAD, [String(port), String(requests), String(callers)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answered = false;
    child.on('message', (message: { rate: number; errors: number }) => {
      answered = true;
      resolve(message);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!answered) reject(new Error(`http load generator exited (code ${code}) before answering`));
    });
  });
}

export async function runRequestFigure(figure: 'enqueue' | 'http', adapter: Adapter, ns: string, options: RequestFigureOptions): Promise<Metrics> {
  const producer = await adapter.producer(ns);
  try {
    return figure === 'enqueue' ? await enqueueLatency(producer, options) : await httpEnqueue(producer, options);
  } finally {
    await producer.close();
  }
}
