// What tracing, events and metrics cost a worker: processed/s of no-op jobs (Redis, one worker,
// concurrency 50) in these modes:
//   off          tracing off (`tracing: false`), no metrics, no event subscriber: the baseline,
//                and the events "no sink" case (nobody listens, nothing is published)
//   no-provider  @opentelemetry/api loaded but no provider registered
//   on           tracing on: an SDK provider whose batch processor hands spans to an exporter
//                that drops them (the SDK's own cost, without a network)
//   listened     tracing off, an errand.events() subscriber on the queue
//   metrics      metrics recorded (createErrand({ metrics: true })), tracing off
//   all-on       metrics recorded and tracing on (as `on`): everything against `off`
// Each mode runs in a process of its own, since a tracer provider is process-wide; rounds
// alternate modes so drift hits all alike.
//   node --import tsx bench/tracing-cost.ts [--jobs 20000] [--rounds 3] [--modes off,metrics,all-on]

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MODES = ['off', 'no-provider', 'on', 'listened', 'metrics', 'all-on'] as const;
type Mode = (typeof MODES)[number];

async function round(mode: Mode, jobs: number): Promise<number> {
  const tracing = mode === 'on' || mode === 'all-on';
  const metrics = mode === 'metrics' || mode === 'all-on';
  if (tracing) {
    const { trace } = await import('@opentelemetry/api');
    const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const dropping = { export: (_spans: unknown, done: (result: { code: number }) => void) => done({ code: 0 }), shutdown: async () => {} };
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }));
  }
  const { createErrand, defineJob } = await import('../src/index.ts');
  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  const job = defineJob({ name: 'TracingCostNoop', queue: 'tracing-cost', async perform(_n: number) {} });
  const namespace = `errand-bench-tracing-${randomBytes(4).toString('hex')}`;
  const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet, tracing: tracing || mode === 'no-provider' ? {} : false, metrics });
  let heard = 0;
  if (mode === 'listened') await errand.events(job).onAny(() => heard++).ready;
  await errand.enqueueBulk(job, Array.from({ length: jobs }, (_, i) => [i] as [number]));
  const redis = new Redis(REDIS_URL);
  const worker = errand.worker({ queues: 'tracing-cost', concurrency: 50 });
  // Timed from the first job done to the last: the worker's start (its lease thread) is not the subject.
  let done = 0;
  let first = 0;
  let last = 0;
  worker.on('completed', () => {
    if (done++ === 0) first = performance.now();
    last = performance.now();
  });
  await worker.start();
  while (done < jobs) await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = (last - first) / 1000;
  if (mode === 'listened' && heard === 0) throw new Error('the subscriber heard nothing');
  // The mode did what it says: a recording errand counted every job.
  if (metrics) {
    const recorded = errand.recorder().snapshot().jobs.reduce((n, series) => n + series.success, 0);
    if (recorded !== jobs) throw new Error(`${mode}: recorded ${recorded} of ${jobs} jobs`);
  }
  await errand.close();
  const keys = await redis.keys(`${namespace}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  return (jobs - 1) / seconds;
}

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const modeArg = args.indexOf('--mode');
if (modeArg >= 0) {
  process.stdout.write(`${await round(args[modeArg + 1] as Mode, flag('jobs', 20_000))}\n`);
} else {
  const jobs = flag('jobs', 20_000);
  const rounds = flag('rounds', 3);
  const modesAt = args.indexOf('--modes');
  const modes = modesAt >= 0 ? args[modesAt + 1]!.split(',') as Mode[] : [...MODES];
  for (const mode of modes) if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}: ${MODES.join(', ')}`);
  if (!modes.includes('off')) modes.unshift('off'); // every ratio is against it
  const results = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--mode', mode, '--jobs', String(jobs)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`${mode} round failed: ${child.stderr}`);
      results.get(mode)!.push(Number(child.stdout.trim()));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const off = median(results.get('off')!);
  console.log(`| mode | processed/s (median of ${rounds}) | vs off |\n|---|---|---|`);
  for (const mode of modes) {
    const value = median(results.get(mode)!);
    console.log(`| ${mode} | ${Math.round(value).toLocaleString('en-US')} | ${(value / off).toFixed(2)} |`);
  }
}
