// What tracing and events cost a worker: processed/s of no-op jobs (Redis, one worker,
// concurrency 50) with tracing off (`tracing: false`) and no event subscriber, with
// @opentelemetry/api loaded but no provider registered, with tracing on (an SDK provider whose
// batch processor hands spans to an exporter that drops them: the SDK's own cost, without a
// network), and with tracing off but an errand.events() subscriber on the queue. Each mode runs in a process of its own,
// since a tracer provider is process-wide; rounds alternate modes so drift hits all alike.
//   node --import tsx bench/tracing-cost.ts [--jobs 20000] [--rounds 3]

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MODES = ['off', 'no-provider', 'on', 'listened'] as const;
type Mode = (typeof MODES)[number];

async function round(mode: Mode, jobs: number): Promise<number> {
  if (mode === 'on') {
    const { trace } = await import('@opentelemetry/api');
    const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const dropping = { export: (_spans: unknown, done: (result: { code: number }) => void) => done({ code: 0 }), shutdown: async () => {} };
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }));
  }
  const { createErrand, defineJob } = await import('../src/index.ts');
  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  const job = defineJob({ name: 'TracingCostNoop', queue: 'tracing-cost', async perform(_n: number) {} });
  const namespace = `errand-bench-tracing-${randomBytes(4).toString('hex')}`;
  const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet, tracing: mode === 'off' || mode === 'listened' ? false : {} });
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
  const results = new Map<Mode, number[]>(MODES.map((mode) => [mode, []]));
  for (let r = 0; r < rounds; r++) {
    for (const mode of MODES) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--mode', mode, '--jobs', String(jobs)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`${mode} round failed: ${child.stderr}`);
      results.get(mode)!.push(Number(child.stdout.trim()));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const off = median(results.get('off')!);
  console.log(`| mode | processed/s (median of ${rounds}) | vs off |\n|---|---|---|`);
  for (const mode of MODES) {
    const value = median(results.get(mode)!);
    console.log(`| ${mode} | ${Math.round(value).toLocaleString('en-US')} | ${(value / off).toFixed(2)} |`);
  }
}
