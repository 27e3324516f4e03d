// SQLite pickup latency, split in two: a producer process enqueues one job every 5 ms (awaited)
// while an idle worker process (concurrency 50) waits on the same file; for each job, the time
// of the `enqueue()` call and the time from its return to the job's start. Used for
// docs/performance.md ("SQLite: checkpoints off the hot path").
//   npm run build -- .bench/dist (or node scripts/build.js .bench/dist), then
//   node --import tsx bench/sqlite-pickup.ts [built index.mjs, default .bench/dist/index.mjs]
// Run it alternately against two builds to compare them; one run's figures decide little here.

import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ErrandApi from '../src/index.ts';

const JOBS = 1_000;
const EVERY_MS = 5;
const role = process.argv[2] === '--worker' ? 'worker' : 'producer';
const built = resolve(role === 'worker' ? process.argv[3]! : (process.argv[2] ?? '.bench/dist/index.mjs'));
const path = role === 'worker' ? process.argv[4]! : join(tmpdir(), `errand-sqlite-pickup-${process.pid}.db`);
const { createErrand, defineJob }: typeof ErrandApi = await import(pathToFileURL(built).href);
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const absNow = () => performance.timeOrigin + performance.now();
const starts: number[] = [];
const job = defineJob({ name: 'PickupProbe', queue: 'pickup', async perform(_i: number) { starts.push(absNow()); } });
const errand = createErrand({ url: `sqlite:${path}`, logger: quiet, jobs: [job] });
await errand.store();

if (role === 'worker') {
  const worker = errand.worker({ queues: 'pickup', concurrency: 50 });
  await worker.start();
  process.send!('ready');
  process.once('message', async () => {
    await worker.stop();
    process.send!(starts);
    await errand.close();
    process.exit(0);
  });
} else {
  const child = fork(new URL(import.meta.url).pathname, ['--worker', built, path], { execArgv: ['--import', 'tsx'] });
  await new Promise((done) => child.once('message', done));
  await new Promise((done) => setTimeout(done, 1_500)); // past start-up (module loading, the lease thread's first beat)
  const calls: [sent: number, returned: number][] = [];
  const t0 = performance.now();
  for (let i = 0; i < JOBS; i++) {
    const wait = t0 + i * EVERY_MS - performance.now();
    if (wait > 0) await new Promise((done) => setTimeout(done, wait));
    const sent = absNow();
    await errand.enqueue(job, i);
    calls.push([sent, absNow()]);
  }
  await new Promise((done) => setTimeout(done, 500));
  child.send('stop');
  const started: number[] = await new Promise((done) => child.once('message', done as (value: unknown) => void));
  await errand.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  if (started.length !== JOBS) throw new Error(`${started.length} jobs started, ${JOBS} enqueued`);
  // One job at a time on an idle worker: they start in the order they were enqueued.
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const at = (values: number[], p: number) => values[Math.min(values.length - 1, Math.floor(values.length * p))]!.toFixed(2);
  const total = sorted(calls.map(([sent], i) => started[i]! - sent));
  const call = sorted(calls.map(([sent, returned]) => returned - sent));
  const after = sorted(calls.map(([, returned], i) => started[i]! - returned));
  console.log(`enqueue → start p50 ${at(total, 0.5)} p99 ${at(total, 0.99)} ms | enqueue() call p50 ${at(call, 0.5)} p99 ${at(call, 0.99)} max ${at(call, 1)} ms | return → start p50 ${at(after, 0.5)} p99 ${at(after, 0.99)} ms`);
}
