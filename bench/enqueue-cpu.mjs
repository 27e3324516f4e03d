// CPU per awaited single enqueue on Redis, one variant per process: errand (the built package in
// .bench/dist: `node scripts/build.js .bench/dist` first), the bare push.lua call through
// ioredis (errand's floor: the same script, no errand code), and bee-queue's createJob().save().
// Usage: node bench/enqueue-cpu.mjs errand|ioredis|bee [jobs]. Prints process CPU µs per enqueue
// (user and system) and the rate; run the variants alternately, several times, and compare medians.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const variant = process.argv[2];
const jobs = Number(process.argv[3] ?? 20_000);
const namespace = `enqueue-cpu-${process.pid}`;
let enqueue;
let cleanup;

if (variant === 'errand') {
  const { createErrand, defineJob } = await import('../.bench/dist/index.mjs');
  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  const noop = defineJob({ name: 'EnqueueCpu', queue: 'q', perform: async () => {} });
  const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet, jobs: [noop] });
  await errand.store();
  enqueue = () => errand.enqueue(noop, 1);
  cleanup = async () => { await (await errand.store()).redis.del(`${namespace}:queue:q`, `${namespace}:queues`); await errand.close(); };
} else if (variant === 'ioredis') {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL, { commandTimeout: 5_000 });
  redis.defineCommand('pushOne', { numberOfKeys: 8, lua: readFileSync(new URL('../src/storage/redis/scripts/push.lua', import.meta.url), 'utf8') });
  const payload = JSON.stringify({ class: 'EnqueueCpu', args: [1], id: '0f8fad5b-d9cb-469f-a165-70867728950e', queue: 'q', enqueued_at: 1796685665.708, attempt: 1 });
  // push.lua's KEYS and ARGV as the store sends them for one job (src/storage/redis/enqueue-batch.ts).
  const ns = namespace;
  enqueue = () => redis.pushOne(`${ns}:queues`, `${ns}:queue:q`, `${ns}:errand:parked:q`, `${ns}:errand:parked-all`, `${ns}:errand:leases`,
    `${ns}:pause-all-workers`, `${ns}:errand:paused-queues`, `${ns}:errand:token`, 'q', `${ns}:errand:wake`, `${ns}:`, `${ns}:errand:events:q`, '', payload);
  cleanup = async () => { await redis.del(`${namespace}:queue:q`, `${namespace}:queues`); redis.disconnect(); };
} else if (variant === 'bee') {
  const Queue = require('bee-queue');
  const queue = new Queue('q', { prefix: namespace, redis: { url: REDIS_URL }, isWorker: false, getEvents: false, sendEvents: false, storeJobs: false });
  await queue.ready();
  enqueue = () => queue.createJob({ arg: 1 }).save();
  cleanup = async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await queue.close();
  };
} else {
  throw new Error('usage: node bench/enqueue-cpu.mjs errand|ioredis|bee [jobs]');
}

for (let i = 0; i < 2_000; i++) await enqueue(); // warm-up
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < jobs; i++) await enqueue();
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
console.log(`${variant.padEnd(8)} cpu µs/enqueue ${((cpu.user + cpu.system) / jobs).toFixed(1)} (user ${(cpu.user / jobs).toFixed(1)}, system ${(cpu.system / jobs).toFixed(1)})  ${Math.round((jobs / ms) * 1000)}/s`);
await cleanup();
