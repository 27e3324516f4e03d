// node-resque, configured per its README: a Queue to enqueue, and for concurrency C, C Workers
// in the one process. Its MultiWorker would auto-scale toward C instead, but it adds one worker
// per checkTimeout (25 s to reach 50), which would measure its ramp-up, not its steady state.
// Each Worker works one job at a time and polls an empty queue every `timeout` ms (default 5 s,
// kept: that is its production default, and it shows in the latency figure). It has no bulk
// API; bulk is every enqueue sent at once (ioredis pipelines them on one connection).

import { Queue, Worker } from 'node-resque';
import { deleteKeys, redisUsedMemory } from './redis-util.ts';
import { QUEUE, REDIS_URL, type Adapter } from './types.ts';

const url = new URL(REDIS_URL);
const connectionFor = (ns: string) => ({ pkg: 'ioredis', host: url.hostname, port: Number(url.port || 6379), database: 0, namespace: ns });
const CHUNK = 1000;

export const nodeResque: Adapter = {
  name: 'node-resque',
  store: 'redis',
  config: 'C Workers (default 5 s poll), Queue.enqueue; no bulk API',
  jobsAtConcurrency1: (jobs) => Math.ceil(jobs / 8),
  async producer(ns) {
    const queue = new Queue({ connection: connectionFor(ns) });
    queue.on('error', () => {});
    await queue.connect();
    return {
      enqueueOne: async (arg) => void (await queue.enqueue(QUEUE, 'noop', [arg])),
      async enqueueBulk(args) {
        for (let i = 0; i < args.length; i += CHUNK) await Promise.all(args.slice(i, i + CHUNK).map((arg) => queue.enqueue(QUEUE, 'noop', [arg])));
      },
      close: () => queue.end(),
    };
  },
  async consumer(ns, concurrency, hooks) {
    const jobs = { noop: { perform: async (arg: number) => hooks.onStart(arg) } };
    const workers = Array.from({ length: concurrency }, (_, i) => new Worker({ connection: connectionFor(ns), queues: [QUEUE], name: `bench-${process.pid}-${i}` }, jobs));
    for (const worker of workers) {
      worker.on('success', () => hooks.onDone());
      worker.on('error', () => {});
    }
    await Promise.all(workers.map((worker) => worker.connect()));
    return {
      start: async () => void (await Promise.all(workers.map((worker) => worker.start()))),
      stop: async () => void (await Promise.all(workers.map((worker) => worker.end()))),
    };
  },
  storeBytes: () => redisUsedMemory(),
  teardown: (ns) => deleteKeys(`${ns}:`),
};
