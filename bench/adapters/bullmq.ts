// BullMQ, configured as its "Going to production" and "Auto-removal of jobs" guides say:
// - the Worker keeps the last 1000 completed / 5000 failed jobs (removeOnComplete/removeOnFail
//   {count}), so Redis does not fill up with finished jobs;
// - each Queue and Worker makes its own connection from options (the Worker's needs
//   maxRetriesPerRequest: null; the producer's fails fast with enableOfflineQueue: false);
// - bulk enqueue is Queue.addBulk (one MULTI per call), in chunks of 1000 as its docs suggest
//   for very large batches; the job name is the same for every job.

import { Queue, Worker } from 'bullmq';
import { deleteKeys, redisUsedMemory } from './redis-util.ts';
import { QUEUE, REDIS_URL, type Adapter } from './types.ts';

const url = new URL(REDIS_URL);
const connection = { host: url.hostname, port: Number(url.port || 6379) };
const CHUNK = 1000;

export const bullmq: Adapter = {
  name: 'bullmq',
  store: 'redis',
  config: 'Worker removeOnComplete {count:1000}, removeOnFail {count:5000}; own connections',
  jobsAtConcurrency1: (jobs) => Math.ceil(jobs / 4),
  async producer(ns) {
    const queue = new Queue(QUEUE, { prefix: ns, connection: { ...connection, enableOfflineQueue: false } });
    await queue.waitUntilReady();
    return {
      enqueueOne: async (arg) => void (await queue.add('noop', { arg })),
      async enqueueBulk(args) {
        for (let i = 0; i < args.length; i += CHUNK) await queue.addBulk(args.slice(i, i + CHUNK).map((arg) => ({ name: 'noop', data: { arg } })));
      },
      close: () => queue.close(),
    };
  },
  async consumer(ns, concurrency, hooks) {
    const worker = new Worker(QUEUE, async (job) => hooks.onStart((job.data as { arg: number }).arg), {
      prefix: ns,
      connection: { ...connection, maxRetriesPerRequest: null },
      concurrency,
      autorun: false,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    });
    worker.on('completed', () => hooks.onDone());
    worker.on('error', () => {});
    await worker.waitUntilReady();
    return {
      start: async () => void worker.run(),
      stop: () => worker.close(),
    };
  },
  storeBytes: () => redisUsedMemory(),
  teardown: (ns) => deleteKeys(`${ns}:`),
};
