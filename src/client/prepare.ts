// Turns (job, args) into what the store takes: args checked against the job's args schema
// (InvalidArgsError) and for JSON safety (both errors name the path), beforeEnqueue hooks
// asked, the payload encoded once. The args are stored as given, not as the schema's output:
// the worker validates them again and perform gets the output then. Shared by single, bulk,
// delayed and inline enqueues so they refuse and accept exactly the same things.
// Bulk enqueue runs this for every job, so it allocates one object per job and no closures.

import { ConfigError, InvalidArgsError } from '../errors.ts';
import type { EnqueuedJob, JobSpec } from '../job/define.ts';
import { assertJsonSafe } from '../job/json-safe.ts';
import { formatPath, validateArgs } from '../job/standard-schema.ts';
import { encodePayload, jobIdSource, payloadEncoder } from '../job/payload.ts';
import type { Plugin } from '../job/types.ts';
import { pluginsFor, runBeforeEnqueue } from '../plugins/hooks.ts';

/** A job checked and agreed to by the hooks, not yet encoded. */
export interface PreparedJob extends EnqueuedJob {
  readonly attempt: 1;
  readonly enqueuedAt: number;
}

export interface Prepared {
  readonly jobs: PreparedJob[];
  /** The plugins whose afterEnqueue hooks run once the jobs are stored. */
  readonly plugins: readonly Plugin[];
}

/**
 * Checks every job before any is stored (a bulk enqueue with one bad item stores nothing) and
 * asks the hooks. Payloads are encoded later, a chunk at a time (encodeJob), so a large bulk
 * enqueue does not hold every payload string at once: that kept the garbage collector busier
 * than all the rest of the work.
 */
export async function prepareJobs(spec: JobSpec, argsList: readonly unknown[][], globalPlugins: readonly Plugin[], runAt: number | undefined): Promise<Prepared> {
  if (!Array.isArray(argsList)) throw new ConfigError(`enqueueBulk(${spec.name}, …) needs an array of argument arrays, e.g. [[1], [2]]`);
  const plugins = pluginsFor(globalPlugins, spec);
  const enqueuedAt = Date.now();
  const { name, queue } = spec;
  const jobs: PreparedJob[] = [];
  const nextId = jobIdSource(argsList.length);
  for (let i = 0; i < argsList.length; i++) {
    const args = argsList[i];
    if (!Array.isArray(args)) throw new ConfigError(`enqueueBulk(${name}, …): item ${i} is not an array of arguments: wrap it, e.g. [[42]] for one job with arg 42`);
    if (spec.argsSchema) {
      const verdict = await validateArgs(spec.argsSchema, args);
      if (!verdict.ok) throw new InvalidArgsError(name, verdict.issues, formatPath(verdict.issues[0]?.path), argsList.length > 1 ? `enqueueBulk item ${i}` : undefined);
    }
    for (let a = 0; a < args.length; a++) assertJsonSafe(args[a], a);
    const job: PreparedJob = { id: nextId(), name, queue, args, runAt, attempt: 1, enqueuedAt };
    if (plugins.length > 0 && !(await runBeforeEnqueue(plugins, job))) continue;
    jobs.push(job);
  }
  return { jobs, plugins };
}

/** The payload the store keeps for a prepared job. */
export function encodeJob(job: PreparedJob): string {
  return encodePayload(job.name, JSON.stringify(job.args), job.id, job.queue, job.enqueuedAt);
}

/**
 * encodeJob() for the jobs of one prepareJobs() call, which share name, queue and enqueue time
 * (and, when traced, the enqueue span's context: `traceFields`).
 */
export function batchEncoder(first: PreparedJob, traceFields?: string): (job: PreparedJob) => string {
  const encode = payloadEncoder(first.name, first.queue, first.enqueuedAt, traceFields);
  return (job) => encode(JSON.stringify(job.args), job.id);
}
