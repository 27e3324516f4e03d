// Runs one reserved job and says what became of it: decode the payload, find the job, run it
// with hooks, a context and (when the job has one) a timeout, then turn the result into a store
// outcome through the retry policy. Never throws: a bad payload, an unknown job (put back for a
// while, see unknown-job.ts), a throwing job, hook, retryOn or backoff all become outcomes, so
// one job cannot take the worker down; and a job past its timeout gives its slot back then.
// A job with an args schema has its args validated first (a payload from Ruby, the CLI or an
// older deploy was never type-checked): invalid args fail the job at once, with no retry and no
// hooks, since another attempt would read the same payload; hooks and perform see the output.

import { InvalidArgsError } from '../errors.ts';
import { Deadline } from '../job/timeout.ts';
import { formatPath, validateArgs } from '../job/standard-schema.ts';
import type { JobSpec } from '../job/define.ts';
import { decodePayload, encodeRetry, type DecodedJob } from '../job/payload.ts';
import type { JobContext, JobInfo, Plugin, ScheduleContext, WorkerInfoForHooks } from '../job/types.ts';
import type { Logger } from '../log.ts';
import { performWithHooks, pluginsFor, runOnFailure } from '../plugins/hooks.ts';
import type { Outcome, ReservedJob } from '../storage/types.ts';
import { errorClassName, errorMessage, failureEntry, retryDelay } from './failure.ts';
import { unknownJobDecision } from './unknown-job.ts';
import type { JobTracer } from '../tracing/options.ts';

export interface ExecutorDeps {
  readonly jobs: ReadonlyMap<string, JobSpec>;
  readonly plugins: readonly Plugin[];
  readonly log: Logger;
  readonly verbose: boolean;
  workerId(): string;
  /** Aborts when the worker gives up on its running jobs (shutdown deadline). */
  readonly stopSignal: AbortSignal;
  /** Plugins with a beforeJob hook: worker-level, they run before the job's own hooks. */
  readonly beforeJob: readonly Plugin[];
  workerInfo(): WorkerInfoForHooks;
  /** OpenTelemetry, when on: each attempt runs inside its span. */
  readonly tracing?: JobTracer | undefined;
}

export interface Execution {
  outcome: Outcome;
  info: JobInfo | undefined;
  error: unknown;
  result: unknown;
  durationMs: number;
  /** The payload's enqueued_at (epoch ms), when the payload had one and was decoded (metrics' latency). */
  enqueuedAt?: number | undefined;
}

const pluginCache = new WeakMap<JobSpec, readonly Plugin[]>();

/** The context perform receives. A class, so the rarely read `enqueuedAt` Date is made on demand. */
class Context implements JobContext {
  readonly name: string;
  readonly attempt: number;
  readonly log: Logger;
  readonly workerId: string;
  readonly schedule?: ScheduleContext;
  private readonly enqueuedAtMs: number | undefined;

  constructor(readonly id: string, decoded: DecodedJob, readonly queue: string, readonly signal: AbortSignal, deps: ExecutorDeps) {
    this.name = decoded.name;
    this.attempt = decoded.attempt;
    this.enqueuedAtMs = decoded.enqueuedAt;
    this.log = deps.log;
    this.workerId = deps.workerId();
    const s = decoded.schedule;
    if (s) this.schedule = { name: s.name, tick: new Date(s.tick), caughtUp: s.caughtUp };
  }

  get enqueuedAt(): Date | undefined {
    return this.enqueuedAtMs === undefined ? undefined : new Date(this.enqueuedAtMs);
  }
}

export function execute(reserved: ReservedJob, deps: ExecutorDeps): Promise<Execution> {
  // Tracing off (or no tracer provider registered): this one check, nothing allocated.
  if (deps.tracing?.on()) return deps.tracing.process(reserved, () => executeUntraced(reserved, deps));
  return executeUntraced(reserved, deps);
}

function executeUntraced(reserved: ReservedJob, deps: ExecutorDeps): Promise<Execution> {
  const started = performance.now();
  // Last resort, for what the paths below did not foresee: fail the job, keep the worker. A
  // .catch, not an async wrapper: one promise less per job on the hot path.
  return attempt(reserved, deps, started).catch((error: unknown) => fail(reserved, deps, reserved.payload, error, undefined, started));
}

async function attempt(reserved: ReservedJob, deps: ExecutorDeps, started: number): Promise<Execution> {
  let decoded: DecodedJob;
  try {
    decoded = decodePayload(reserved.payload);
  } catch (error) {
    return fail(reserved, deps, reserved.payload, error, undefined, started);
  }
  const spec = deps.jobs.get(decoded.name);
  if (!spec) return unknown(reserved, deps, decoded, started);

  const id = decoded.id ?? `resque-${reserved.token}`;
  let args = decoded.args;
  if (spec.argsSchema) {
    const verdict = await validateArgs(spec.argsSchema, args);
    if (!verdict.ok) {
      const error = new InvalidArgsError(spec.name, verdict.issues, formatPath(verdict.issues[0]?.path));
      return fail(reserved, deps, decoded.raw, error, { name: decoded.name, queue: reserved.queue, args, id, attempt: decoded.attempt }, started);
    }
    args = verdict.value;
  }
  const info: JobInfo = { name: decoded.name, queue: reserved.queue, args, id, attempt: decoded.attempt };
  let plugins = pluginCache.get(spec);
  if (!plugins) pluginCache.set(spec, (plugins = pluginsFor(deps.plugins, spec)));
  // The deadline covers the beforeJob hooks too: nothing of this job holds its slot past it.
  const deadline = spec.timeoutMs === undefined ? undefined : new Deadline(spec.timeoutMs, deps.stopSignal);
  const ctx = new Context(id, decoded, reserved.queue, deadline ? deadline.signal : deps.stopSignal, deps);
  try {
    let result: unknown;
    if (deadline) result = await runWithDeadline(spec, plugins, info, ctx, deadline, deps);
    else if (plugins.length > 0 || deps.beforeJob.length > 0) result = (await runHooked(spec, plugins, info, ctx, undefined, deps)).result;
    else result = await spec.perform(args, ctx); // the common case, without a wrapper
    const durationMs = performance.now() - started;
    if (deps.verbose) deps.log.debug({ job: info.name, id, queue: info.queue, attempt: info.attempt, ms: round(durationMs) }, 'done');
    return { outcome: { token: reserved.token, kind: 'done', queue: reserved.queue, jobClass: info.name, ms: durationMs }, info, error: undefined, result, durationMs, enqueuedAt: decoded.enqueuedAt };
  } catch (error) {
    let delay: number | null;
    try {
      delay = retryDelay(spec.retry, decoded.attempt, error, Math.random, spec.name);
    } catch (policyError) {
      return fail(reserved, deps, decoded.raw, policyError, info, started); // retryOn or backoff threw
    }
    if (delay === null) return fail(reserved, deps, decoded.raw, error, info, started);
    const payload = encodeRetry(decoded, id, { attempt: decoded.attempt, at: new Date().toISOString(), exception: errorClassName(error), error: errorMessage(error) });
    if (deps.verbose) deps.log.debug({ job: info.name, id, attempt: info.attempt, retryInMs: delay, err: error }, 'failed; will retry');
    const durationMs = performance.now() - started;
    const outcome: Outcome = { token: reserved.token, kind: 'retry', queue: reserved.queue, jobClass: info.name, ms: durationMs, job: { queue: reserved.queue, payload, runAt: Date.now() + delay } };
    return { outcome, info, error, result: undefined, durationMs, enqueuedAt: decoded.enqueuedAt };
  }
}

async function runHooked(spec: JobSpec, plugins: readonly Plugin[], info: JobInfo, ctx: JobContext, deadline: Deadline | undefined, deps: ExecutorDeps) {
  for (const plugin of deps.beforeJob) await plugin.beforeJob!(info, deps.workerInfo());
  return performWithHooks(spec, plugins, info, ctx, deadline);
}

/**
 * At the deadline the attempt is over: its outcome (a JobTimeoutError, retried or failed per the
 * job's policy) is returned then and its slot frees, while a job that ignores its signal runs on
 * unwatched. Its onFailure hooks run for the timeout, not awaited, so they cannot hold the slot.
 */
async function runWithDeadline(spec: JobSpec, plugins: readonly Plugin[], info: JobInfo, ctx: JobContext, deadline: Deadline, deps: ExecutorDeps): Promise<unknown> {
  try {
    return (await deadline.race(runHooked(spec, plugins, info, ctx, deadline, deps))).result;
  } catch (error) {
    if (error === deadline.error) {
      if (deps.verbose) deps.log.debug({ job: info.name, id: info.id, timeoutMs: deadline.timeoutMs }, 'timed out; the job may still be running, its outcome is recorded now');
      void runOnFailure(plugins, info, error, ctx);
    }
    throw error;
  }
}

/** Not known here (a deploy under way?): back to the scheduled set for a while, then failed. */
function unknown(reserved: ReservedJob, deps: ExecutorDeps, decoded: DecodedJob, started: number): Execution {
  const decision = unknownJobDecision(decoded, [...deps.jobs.keys()]);
  if (decision.kind === 'fail') return fail(reserved, deps, decoded.raw, decision.error, undefined, started);
  deps.log.warn({ job: decoded.name, queue: reserved.queue, retryInMs: decision.delayMs, deferrals: decoded.unknownDeferrals + 1 },
    'this worker does not know this job; put back for a worker that does (deploy under way? else load it with --require)');
  const outcome: Outcome = { token: reserved.token, kind: 'retry', deferred: true, queue: reserved.queue, job: { queue: reserved.queue, payload: decision.payload, runAt: decision.runAt } };
  return { outcome, info: undefined, error: undefined, result: undefined, durationMs: performance.now() - started };
}

function fail(reserved: ReservedJob, deps: ExecutorDeps, payload: unknown, error: unknown, info: JobInfo | undefined, started: number): Execution {
  const entry = failureEntry({ payload, error, workerId: deps.workerId(), queue: reserved.queue });
  const durationMs = performance.now() - started;
  // Only an attempt that ran counts in its class's metrics (a payload that is not a job has no class).
  const ran = info ? { jobClass: info.name, ms: durationMs } : {};
  const enqueuedAt = (payload as { enqueued_at?: unknown } | null)?.enqueued_at;
  return { outcome: { token: reserved.token, kind: 'failed', entry, queue: reserved.queue, ...ran }, info, error, result: undefined, durationMs, enqueuedAt: typeof enqueuedAt === 'number' ? enqueuedAt : undefined };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
