// The Redis writes of enqueues that carry no due time. One micro-batch of single enqueues
// (../enqueue-batch.ts collects them): one push.lua call per queue — the script appends any
// number of payloads, registers the queue and publishes a wake-up only when the queue was
// empty, or hands a lone job to a parked worker — and several queues as one pipeline. A bulk
// push: plain pipelined commands (pushBulk).
// Invariants: payloads keep their batch order within each queue; a micro-batch's calls are
// independent, so each job's caller learns its own queue's outcome (a queue whose call failed
// rejects only the callers of that queue; a failed pipeline rejects them all).

import type { Redis } from 'ioredis';
import { StoreError } from '../../errors.ts';
import type { QueuedJob } from '../types.ts';
import type { RedisKeys } from './keys.ts';
import { commandName, type ScriptCall } from './scripts.ts';

const PUSH_COMMAND = commandName('push');

export interface EnqueueBatchDeps {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly push: ScriptCall;
  /** The store's error wrapping (StoreError naming the server). */
  readonly call: <T>(what: string, run: () => Promise<T>) => Promise<T>;
  readonly description: string;
}

/** Writes the batch; resolves when every job is stored, or to one error (or undefined) per job. */
export function pushEnqueueBatch(deps: EnqueueBatchDeps, jobs: readonly QueuedJob[]): Promise<void | unknown[]> {
  const k = deps.keys;
  const queue = jobs[0]!.queue;
  if (jobs.every((job) => job.queue === queue)) {
    const { keys, args } = pushCall(k, queue, jobs);
    for (const job of jobs) args.push(job.payload);
    // Not async: a sequential enqueue makes one such call per job, and each promise layer costs.
    return deps.call('push', () => deps.push(keys, args)).then(ignoreReply);
  }
  return pushByQueue(deps, jobs);
}

const ignoreReply = (): void => undefined;

/** A micro-batch of several queues: one pipeline, one push.lua call per queue. */
async function pushByQueue(deps: EnqueueBatchDeps, jobs: readonly QueuedJob[]): Promise<unknown[]> {
  const k = deps.keys;
  const byQueue = groupByQueue(jobs);
  const replies = await deps.call('push', () => {
    const pipeline = deps.redis.pipeline();
    const command = (pipeline as unknown as Record<string, (...a: string[]) => unknown>)[PUSH_COMMAND]!;
    for (const [name, payloads] of byQueue) {
      const { keys, args } = pushCall(k, name, payloads);
      command.call(pipeline, String(keys.length), ...keys, ...args, ...payloads.map((job) => job.payload));
    }
    return pipeline.exec();
  });
  const failures = new Map<string, StoreError>();
  [...byQueue.keys()].forEach((name, i) => {
    const error = replies?.[i]?.[0];
    if (error) failures.set(name, new StoreError(`Redis push failed on ${deps.description}: ${error.message}`, { cause: error }));
  });
  return jobs.map((job) => failures.get(job.queue));
}

/** push.lua's KEYS and leading ARGV for one queue's jobs (the payloads follow; see the script's header). */
function pushCall(k: RedisKeys, queue: string, jobs: readonly QueuedJob[]): { keys: readonly string[]; args: string[] } {
  return { keys: pushKeys(k, queue), args: [queue, k.wakeChannel, `${k.namespace}:`, k.eventsChannel(queue), mergedAnnouncements(jobs)] };
}

// push.lua's KEYS per namespace and queue, built once: never mutated (callers spread them).
const pushKeysCache = new WeakMap<RedisKeys, Map<string, readonly string[]>>();
/** Queue names kept per namespace at most; past it, keys are built per call (no unbounded growth). */
const PUSH_KEYS_KEPT = 1_000;

function pushKeys(k: RedisKeys, queue: string): readonly string[] {
  let byQueue = pushKeysCache.get(k);
  if (!byQueue) pushKeysCache.set(k, (byQueue = new Map()));
  let keys = byQueue.get(queue);
  if (!keys) {
    keys = [k.queues, k.queue(queue), k.parked(queue), k.parkedAll, k.leases, k.pauseAll, k.pausedQueues, k.tokenCounter];
    if (byQueue.size < PUSH_KEYS_KEPT) byQueue.set(queue, keys);
  }
  return keys;
}

/** The jobs' `enqueued` event messages (JSON arrays, one queue's) as one message, or ''. */
export function mergedAnnouncements(jobs: readonly QueuedJob[]): string {
  let merged = '';
  for (const job of jobs) {
    if (!job.announce) continue;
    merged = merged === '' ? job.announce : `${merged.slice(0, -1)},${job.announce.slice(1)}`;
  }
  return merged;
}

/**
 * A bulk push: Resque's own commands, pipelined (SADD, RPUSH in slices of `maxArgs`, PUBLISH
 * per queue). Not push.lua: the script would cost Redis more than the RPUSH itself (every
 * payload copied into Lua and back), and the PUBLISH always sent replaces its "was empty" check,
 * so a worker that drained the queue between two chunks and went to sleep is woken too.
 * Rejects with the first command's error.
 */
export async function pushBulk(redis: Redis, k: RedisKeys, jobs: readonly QueuedJob[], maxArgs: number): Promise<void> {
  const pipeline = redis.pipeline();
  for (const [queue, group] of groupByQueue(jobs)) {
    const key = k.queue(queue);
    const payloads = group.map((job) => job.payload);
    pipeline.sadd(k.queues, queue);
    for (let i = 0; i < payloads.length; i += maxArgs) pipeline.rpush(key, ...payloads.slice(i, i + maxArgs));
    const announce = mergedAnnouncements(group);
    if (announce !== '') pipeline.publish(k.eventsChannel(queue), announce);
    pipeline.publish(k.wakeChannel, queue);
  }
  throwFirst(await pipeline.exec());
}

/** Throws the first error of a pipeline's replies. */
export function throwFirst(results: [Error | null, unknown][] | null): void {
  for (const [error] of results ?? []) if (error) throw error;
}

/** Jobs by queue, in order (a Map keeps the queues in first-seen order). */
export function groupByQueue(jobs: readonly QueuedJob[]): Map<string, QueuedJob[]> {
  const byQueue = new Map<string, QueuedJob[]>();
  for (const job of jobs) {
    let list = byQueue.get(job.queue);
    if (!list) byQueue.set(job.queue, (list = []));
    list.push(job);
  }
  return byQueue;
}
