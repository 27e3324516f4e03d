// bee-queue, configured as its README recommends: a producer Queue with isWorker, getEvents and
// sendEvents off (it only pushes); a worker Queue with removeOnSuccess (keeps Redis memory down),
// storeJobs off (no per-job tracking map), getEvents/sendEvents off (no pub/sub traffic per job),
// and a stalled-job check every stallInterval (5 s), which the README asks every deployment to
// start itself ("you should also make your own call with an interval parameter").
// Bulk enqueue is Queue#saveAll (one pipelined request). Completion: the worker queue's local
// 'succeeded' event, emitted after the MULTI that records the job as done.

import Queue from 'bee-queue';
import { deleteKeys, redisUsedMemory } from './redis-util.ts';
import { QUEUE, REDIS_URL, type Adapter } from './types.ts';

const redis = { url: REDIS_URL };

export const beeQueue: Adapter = {
  name: 'bee-queue',
  store: 'redis',
  config: 'removeOnSuccess, storeJobs/getEvents/sendEvents off, checkStalledJobs every 5 s; producer isWorker off',
  jobsAtConcurrency1: (jobs) => Math.ceil(jobs / 4),
  async producer(ns) {
    const queue = new Queue(QUEUE, { prefix: ns, redis, isWorker: false, getEvents: false, sendEvents: false, storeJobs: false });
    await queue.ready();
    return {
      enqueueOne: async (arg) => void (await queue.createJob({ arg }).save()),
      enqueueBulk: async (args) => void (await queue.saveAll(args.map((arg) => queue.createJob({ arg })))),
      close: () => queue.close(),
    };
  },
  async consumer(ns, concurrency, hooks) {
    const queue = new Queue<{ arg: number }>(QUEUE, {
      prefix: ns, redis, isWorker: true, getEvents: false, sendEvents: false, storeJobs: false, removeOnSuccess: true, removeOnFailure: true,
    });
    queue.on('succeeded', () => hooks.onDone());
    queue.on('error', () => {});
    await queue.ready();
    return {
      // process() starts taking jobs at once; the handler is an async no-op.
      start: async () => {
        queue.process(concurrency, async (job) => hooks.onStart(job.data.arg));
        queue.checkStalledJobs(5_000, () => {});
      },
      stop: () => queue.close(5_000),
    };
  },
  storeBytes: () => redisUsedMemory(),
  teardown: (ns) => deleteKeys(`${ns}:`),
};
