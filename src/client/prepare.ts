// Turns (job, args) into what the store takes: args checked for JSON safety (the error names
// the path), beforeEnqueue hooks asked, the payload encoded once. Shared by single, bulk,
// delayed and inline enqueues so they refuse and accept exactly the same things.

import { ConfigError } from '../errors.ts';
import type { EnqueuedJob, JobSpec } from '../job/define.ts';
import { assertJsonSafe } from '../job/json-safe.ts';
import { encodePayload, newJobId } from '../job/payload.ts';
import type { JobInfo, Plugin } from '../job/types.ts';
import { pluginsFor, runAfterEnqueue, runBeforeEnqueue } from '../plugins/hooks.ts';

export interface PreparedJob {
  readonly queue: string;
  readonly payload: string;
  readonly runAt: number | undefined;
  readonly enqueued: EnqueuedJob;
  afterEnqueue(): Promise<void>;
}

export async function prepareJobs(spec: JobSpec, argsList: readonly unknown[][], globalPlugins: readonly Plugin[], runAt: number | undefined): Promise<PreparedJob[]> {
  if (!Array.isArray(argsList)) throw new ConfigError(`enqueueBulk(${spec.name}, …) needs an array of argument arrays, e.g. [[1], [2]]`);
  const plugins = pluginsFor(globalPlugins, spec);
  const now = Date.now();
  const prepared: PreparedJob[] = [];
  for (let i = 0; i < argsList.length; i++) {
    const args = argsList[i];
    if (!Array.isArray(args)) throw new ConfigError(`enqueueBulk(${spec.name}, …): item ${i} is not an array of arguments: wrap it, e.g. [[42]] for one job with arg 42`);
    for (let a = 0; a < args.length; a++) assertJsonSafe(args[a], `args[${a}]`);
    const id = newJobId();
    const info: JobInfo = { name: spec.name, queue: spec.queue, args, id, attempt: 1 };
    if (plugins.length > 0 && !(await runBeforeEnqueue(plugins, info))) continue;
    const enqueued: EnqueuedJob = runAt === undefined ? { id, name: spec.name, queue: spec.queue, args } : { id, name: spec.name, queue: spec.queue, args, runAt };
    prepared.push({
      queue: spec.queue,
      payload: encodePayload(spec.name, JSON.stringify(args), id, spec.queue, now),
      runAt,
      enqueued,
      afterEnqueue: () => (plugins.length > 0 ? runAfterEnqueue(plugins, info) : Promise.resolve()),
    });
  }
  return prepared;
}
