// Inline mode: the job runs at once, inside enqueue, after the same JSON round trip and hooks a
// worker would give it, so a test catches what production would (a Date that became a string,
// a hook that vetoes), the args schema's check and the job's timeout. Its error rejects the enqueue; there are no
// retries inline.

import { InvalidArgsError, UnknownJobError } from '../errors.ts';
import type { JobSpec } from '../job/define.ts';
import { decodePayload } from '../job/payload.ts';
import type { JobContext, Plugin } from '../job/types.ts';
import type { Logger } from '../log.ts';
import { performWithHooks, pluginsFor, runOnFailure } from '../plugins/hooks.ts';
import { encodeJob, type PreparedJob } from './prepare.ts';
import { Deadline } from '../job/timeout.ts';
import { formatPath, validateArgs } from '../job/standard-schema.ts';

export async function runInline(job: PreparedJob, jobs: ReadonlyMap<string, JobSpec>, globalPlugins: readonly Plugin[], log: Logger): Promise<unknown> {
  const decoded = decodePayload(encodeJob(job));
  const spec = jobs.get(decoded.name);
  if (!spec) throw new UnknownJobError(decoded.name, [...jobs.keys()]);
  let args = decoded.args;
  if (spec.argsSchema) {
    const verdict = await validateArgs(spec.argsSchema, args);
    if (!verdict.ok) throw new InvalidArgsError(spec.name, verdict.issues, formatPath(verdict.issues[0]?.path));
    args = verdict.value;
  }
  const info = { name: decoded.name, queue: job.queue, args, id: job.id, attempt: 1 };
  const deadline = spec.timeoutMs === undefined ? undefined : new Deadline(spec.timeoutMs);
  const ctx: JobContext = {
    id: info.id, name: info.name, queue: info.queue, attempt: 1, signal: deadline?.signal ?? new AbortController().signal, log,
    enqueuedAt: decoded.enqueuedAt === undefined ? undefined : new Date(decoded.enqueuedAt), workerId: 'inline',
  };
  const plugins = pluginsFor(globalPlugins, spec);
  const run = performWithHooks(spec, plugins, info, ctx, deadline);
  if (!deadline) return (await run).result;
  try {
    return (await deadline.race(run)).result;
  } catch (error) {
    // The timeout's onFailure hooks; awaited here (unlike in a worker) so a test sees their effects.
    if (error === deadline.error) await runOnFailure(plugins, info, error, ctx);
    throw error;
  }
}
