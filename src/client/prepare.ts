// Turns (job, args) into what the store takes: args checked for JSON safety (the error names
// the path), beforeEnqueue hooks asked, the payload encoded once. Shared by single, bulk,
// delayed and inline enqueues so they refuse and accept exactly the same things.
// Bulk enqueue runs this for every job, so it allocates one object per job and no closures.

import { ConfigError } from '../errors.ts';
import type { EnqueuedJob, JobSpec } from '../job/define.ts';
import { assertJsonSafe } from '../job/json-safe.ts';
import { encodePayload, newJobId } from '../job/payload.ts';
import type { Plugin } from '../job/types.ts';
import { pluginsFor, runBeforeEnqueue } from '../plugins/hooks.ts';

/** A job ready for the store (it is a QueuedJob, and a ScheduledJob when runAt is set) and for hooks. */
export interface PreparedJob extends EnqueuedJob {
  readonly payload: string;
  readonly attempt: 1;
}

export interface Prepared {
  readonly jobs: PreparedJob[];
  /** The plugins whose afterEnqueue hooks run once the jobs are stored. */
  readonly plugins: readonly Plugin[];
}

export async function prepareJobs(spec: JobSpec, argsList: readonly unknown[][], globalPlugins: readonly Plugin[], runAt: number | undefined): Promise<Prepared> {
  if (!Array.isArray(argsList)) throw new ConfigError(`enqueueBulk(${spec.name}, …) needs an array of argument arrays, e.g. [[1], [2]]`);
  const plugins = pluginsFor(globalPlugins, spec);
  const now = Date.now();
  const { name, queue } = spec;
  const jobs: PreparedJob[] = [];
  for (let i = 0; i < argsList.length; i++) {
    const args = argsList[i];
    if (!Array.isArray(args)) throw new ConfigError(`enqueueBulk(${name}, …): item ${i} is not an array of arguments: wrap it, e.g. [[42]] for one job with arg 42`);
    for (let a = 0; a < args.length; a++) assertJsonSafe(args[a], `args[${a}]`);
    const id = newJobId();
    const job: PreparedJob = { id, name, queue, args, runAt, attempt: 1, payload: encodePayload(name, JSON.stringify(args), id, queue, now) };
    if (plugins.length > 0 && !(await runBeforeEnqueue(plugins, job))) continue;
    jobs.push(job);
  }
  return { jobs, plugins };
}
