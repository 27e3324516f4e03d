// The KEYS and ARGV of a worker's calls: register.lua, reserve.lua and heartbeat.lua (each
// script's header says what each position means), built purely; the Redis store sends them one
// call alone, or register and reserve in one pipelined write when a worker starts
// (registerAndReserve), and reads reserve's reply here.
// Invariant: a reserve's ARGV[11..] name the queues of its KEYS[9..], in the same order.

import { resqueIso, resqueTimeToS, resqueWorkingOn } from '../resque-format.ts';
import { resqueIdOf } from '../identity.ts';
import { defaults } from '../../defaults.ts';
import type { Redis } from 'ioredis';
import type { HeartbeatChecks, ReservedJob, WorkerRegistration, WorkerStatus } from '../types.ts';
import type { RedisKeys } from './keys.ts';

export interface ScriptArgs {
  keys: string[];
  args: (string | number)[];
}

/**
 * register.lua for `worker`: the instance id is its Resque id when `plainAllowed` and no live
 * instance holds that id, else `suffixed`; `owner` marks this registration (see reserve.lua).
 */
export function registerCall(k: RedisKeys, worker: WorkerRegistration, suffixed: string, plainAllowed: boolean, owner: string, now = new Date()): ScriptArgs {
  return {
    keys: [k.workers, k.workerStarted(worker.id), k.heartbeats, k.leases, k.instancesOf(worker.id), k.instance(worker.id), k.instance(suffixed)],
    args: [worker.id, suffixed, plainAllowed ? 1 : 0, resqueIso(now), resqueTimeToS(worker.startedAt), worker.concurrency ?? 0, Math.floor(worker.leaseMs ?? defaults.deadAfterMs), owner],
  };
}

/** How a reserve that takes nothing parks its worker for a hand-off (reserve.lua's ARGV[8]). */
export type Park = 'no' | 'prefetch' | 'start';

/**
 * reserve.lua: `owner` '' takes for any live instance; else only for the registration it names.
 * `park`: whether a reserve that takes nothing parks the instance, and whether a job handed to
 * it then starts at once (push.lua moves the started watermark then). `handedByMessage`: the
 * token of a hand-off the worker already has, so the reply does not carry it again.
 */
export function reserveCall(
  k: RedisKeys, instance: string, queues: readonly string[] | '*', max: number, startNow: number, request: string, owner = '', park: Park = 'no', handedByMessage = '',
): ScriptArgs {
  const named = queues === '*' ? [] : queues;
  return {
    keys: [k.inflight(instance), k.pauseAll, k.queues, k.leases, k.tokenCounter, k.lastReserve(instance), k.instance(instance), k.pausedQueues, ...named.map(k.queue)],
    args: [max, instance, request, startNow, queues === '*' ? '*' : '', k.queuePrefix, owner, PARK_ARG[park], `${k.namespace}:`, handedByMessage, ...named],
  };
}

const PARK_ARG: Record<Park, string> = { no: '', prefetch: '0', start: '1' };

/** heartbeat.lua for an instance: renews its lease and shows what it is working on. */
export function heartbeatCall(k: RedisKeys, instance: string, status: WorkerStatus, checks: HeartbeatChecks, now = new Date()): ScriptArgs {
  const resqueId = resqueIdOf(instance);
  const working = status.workingOn ? resqueWorkingOn(status.workingOn.queue, status.workingOn.payload, status.workingOn.runAt) : '';
  const named = checks.queues === undefined || checks.queues === '*' ? [] : checks.queues;
  return {
    keys: [k.leases, k.heartbeats, k.worker(resqueId), k.pauseAll, k.schedule, k.queues, k.instance(instance), k.workers, k.delayedSchedule, k.pausedQueues, ...named.map(k.queue)],
    args: [instance, resqueIso(now), working, Math.floor(status.startedUpTo ?? 0), resqueId, checks.queues === '*' ? '*' : '', k.queuePrefix, ...named],
  };
}

/** Sends script calls in one pipeline (one write); each reply is [error or null, result]. */
export async function pipelineScripts(redis: Redis, calls: readonly [command: string, call: ScriptArgs][]): Promise<[Error | null, unknown][]> {
  const pipeline = redis.pipeline() as unknown as Record<string, (...args: (string | number)[]) => unknown> & { exec(): Promise<[Error | null, unknown][] | null> };
  for (const [command, { keys, args }] of calls) pipeline[command]!(keys.length, ...keys, ...args);
  return (await pipeline.exec()) ?? [];
}

/** reserve.lua's flat reply (token, queue, payload, ...) as jobs. */
export function toReserved(flat: readonly string[]): ReservedJob[] {
  const jobs: ReservedJob[] = new Array(flat.length / 3);
  for (let i = 0, j = 0; i < flat.length; i += 3, j++) jobs[j] = { token: flat[i]!, queue: flat[i + 1]!, payload: flat[i + 2]! };
  return jobs;
}
