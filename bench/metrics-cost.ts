// What recording Prometheus metrics costs a worker (docs/performance.md, "Metrics"): first the
// recorder alone (ns per finished attempt, a tight loop), then one warm worker draining batches
// of no-op jobs with its observer off and on, alternating, so load from other processes hits
// both alike. Usage: node --import tsx bench/metrics-cost.ts [sqlite|redis] [pairs] [jobs]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createErrand, defineJob } from '../src/index.ts';
import { Recorder } from '../src/metrics/recorder.ts';
import { closeRedisUtil, deleteKeys } from './adapters/redis-util.ts';

const [kind = 'sqlite', roundsText = '10', jobsText = '20000'] = process.argv.slice(2);

{
  const recorder = new Recorder();
  const job = { token: '1', queue: 'default', payload: '' };
  const info = { name: 'Noop', queue: 'default', args: [], id: 'x', attempt: 1 };
  const execution = { outcome: { token: '1', kind: 'done' as const, queue: 'default' }, info, error: undefined, result: undefined, durationMs: 0.02, enqueuedAt: Date.now() - 3 };
  const n = 5_000_000;
  const costs: number[] = [];
  for (let round = 0; round < 5; round++) {
    const startedAt = Date.now();
    const t = performance.now();
    for (let i = 0; i < n; i++) recorder.executed(job, execution, startedAt);
    costs.push(((performance.now() - t) * 1e6) / n);
  }
  console.log(`recorder alone: ${costs.map((c) => c.toFixed(0)).join(' ')} ns per attempt (5 rounds of ${n})`);
}

const rounds = Number(roundsText);
const jobs = Number(jobsText);
const dir = mkdtempSync(join(tmpdir(), 'errand-ab-'));
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const url = kind === 'redis' ? 'redis://127.0.0.1:6379' : `sqlite:${join(dir, 'ab.db')}`;
const namespace = `errand-metrics-cost-${randomBytes(4).toString('hex')}`;
const errand = createErrand({ url, namespace, logger: quiet });
const noop = defineJob({ name: 'AbNoop', queue: 'ab', async perform(_n: number) {} });
const handle = errand.worker({ queues: ['ab'], concurrency: 50 });
let done = 0;
let wake: () => void = () => {};
handle.on('completed', () => { if (++done === jobs) wake(); });
await handle.start();
const worker = handle.running.worker!;
const recorder = new Recorder();
const args = Array.from({ length: jobs }, (_, i) => [i] as [number]);
const rate: Record<string, number[]> = { off: [], on: [] };
for (let round = 0; round < rounds * 2 + 2; round++) {
  const mode = round % 2 === 0 ? 'off' : 'on';
  if (mode === 'on') recorder.watchWorker(worker);
  else worker.observer = undefined;
  done = 0;
  const drained = new Promise<void>((resolve) => (wake = resolve));
  await errand.enqueueBulk(noop, args);
  const started = performance.now();
  await drained;
  const perSecond = jobs / ((performance.now() - started) / 1000);
  if (round >= 2) rate[mode]!.push(perSecond); // the first pair warms up
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pairs = rate.on!.map((on, i) => on / rate.off![i]!);
console.log(`${kind}: ${rounds} pairs of ${jobs} jobs, concurrency 50`);
console.log(`off: median ${median(rate.off!).toFixed(0)} jobs/s  [${rate.off!.map((x) => x.toFixed(0)).join(' ')}]`);
console.log(`on:  median ${median(rate.on!).toFixed(0)} jobs/s  [${rate.on!.map((x) => x.toFixed(0)).join(' ')}]`);
console.log(`on/off per pair: median ${median(pairs).toFixed(3)}  [${pairs.map((x) => x.toFixed(2)).join(' ')}]`);
await errand.close();
if (kind === 'redis') await deleteKeys(`${namespace}:`);
await closeRedisUtil();
rmSync(dir, { recursive: true, force: true });
