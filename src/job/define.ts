// defineJob() and Resque-style classes: both become a JobSpec, the one runtime shape the
// client and the worker use. A job is a name (Resque's "class"), a queue and a perform function
// whose parameters type the args end to end. Every defined job is remembered by name so that
// `errand work --require ./jobs.ts` knows it without a separate list. With an `args` schema
// (Standard Schema), enqueue's parameters are the schema's input and perform's its output, and
// the args are validated at enqueue and again in the worker (see standard-schema.ts).

import { ConfigError } from '../errors.ts';
import { defaults } from '../defaults.ts';
import { toMs, type Duration } from './duration.ts';
import type { JobContext, Plugin, RetryOptions } from './types.ts';
import { validateJobName, validateQueueName } from './names.ts';
import { checkArgsSchema, checkPlugins, checkRetry, checkTimeout } from './options.ts';
import type { ArgsSchema, SchemaInput, SchemaOutput, StandardSchemaV1 } from './standard-schema.ts';

type IsAny<T> = 0 extends 1 & T ? true : false;
/** perform's parameters without the trailing context (annotated as JobContext, or left untyped). */
export type ArgsOf<F> = F extends (...params: infer P) => unknown
  ? P extends [...infer Args, infer Last]
    ? IsAny<Last> extends true ? Args : [Last] extends [JobContext] ? Args : P
    : P
  : never;

interface BaseJobOptions {
  /** The Resque class name; what workers look jobs up by. */
  name: string;
  queue?: string;
  retry?: RetryOptions;
  /** The job's AbortSignal fires at this deadline and the attempt fails with JobTimeoutError. */
  timeout?: Duration;
  plugins?: Plugin[];
}

/** A job typed by perform's own parameters. */
export interface JobOptions<F extends (...args: any[]) => unknown> extends BaseJobOptions {
  args?: undefined;
  perform: F;
}

/**
 * A job typed and checked by a Standard Schema of its argument list, e.g. `z.tuple([z.number()])`:
 * enqueue takes the schema's input, perform gets its output (then the context).
 */
export interface SchemaJobOptions<S extends ArgsSchema> extends BaseJobOptions {
  args: S;
  perform: (...args: [...SchemaOutput<S>, JobContext]) => unknown;
}

/** The runtime shape of any job, whichever way it was written. */
export interface JobSpec {
  readonly name: string;
  readonly queue: string;
  readonly retry: RetryOptions;
  readonly timeoutMs: number | undefined;
  readonly plugins: readonly Plugin[];
  /** Validates the args at enqueue and before perform, which receives its output. */
  readonly argsSchema: StandardSchemaV1 | undefined;
  readonly perform: (args: unknown[], ctx: JobContext) => unknown;
}

/**
 * What the client's enqueue resolves to: the job as stored. Its `id` is what errand.job(id)
 * looks up. An enqueue resolves to null only when a beforeEnqueue hook vetoed the job.
 */
export interface EnqueuedJob {
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  /** The args as given (and stored), before any schema transform. */
  readonly args: readonly unknown[];
  /** Epoch ms (this process's clock) when the job becomes due: delayed jobs only; absent = now. */
  readonly runAt?: number;
  /** Epoch ms (this process's clock) of the enqueue: the payload's `enqueued_at`. */
  readonly enqueuedAt: number;
}

export interface JobDefinition<A extends unknown[]> {
  readonly name: string;
  readonly queue: string;
  readonly spec: JobSpec;
  /** Enqueue on the default instance (configured from ERRAND_URL / REDIS_URL / SQLite). */
  enqueue(...args: A): Promise<EnqueuedJob | null>;
  enqueueIn(delay: Duration, ...args: A): Promise<EnqueuedJob | null>;
  enqueueAt(when: Date | number, ...args: A): Promise<EnqueuedJob | null>;
  /** Phantom: carries the args type for errand.enqueue(job, ...args). */
  readonly __args?: A;
}

/** A Resque-style class: `class Archive { static queue = 'file'; static async perform(id: number) {} }`. */
export interface ResqueClass {
  readonly name: string;
  readonly queue?: string;
  readonly jobName?: string;
  readonly retry?: RetryOptions;
  readonly timeout?: Duration;
  readonly plugins?: Plugin[];
  perform(...args: any[]): unknown;
}

export type AnyJob = JobDefinition<any[]> | ResqueClass;
export type JobArgs<J> = J extends JobDefinition<infer A> ? A : J extends { perform: infer F } ? ArgsOf<F> : never;

/** The client a JobDefinition's own enqueue uses; set by client/ when it loads (imports point down). */
export interface DefaultEnqueuer {
  enqueueSpec(spec: JobSpec, args: unknown[], runAt?: number): Promise<EnqueuedJob | null>;
}
let defaultEnqueuer: (() => DefaultEnqueuer) | undefined;
export function setDefaultEnqueuer(factory: () => DefaultEnqueuer): void {
  defaultEnqueuer = factory;
}
function getDefaultEnqueuer(): DefaultEnqueuer {
  if (!defaultEnqueuer) throw new ConfigError("no default errand instance: import from 'errand' (not a deep path)");
  return defaultEnqueuer();
}

const registry = new Map<string, JobSpec>();
/** Every job defined in this process so far, by name. */
export function definedJobs(): ReadonlyMap<string, JobSpec> {
  return registry;
}

function makeSpec(source: { name: string; queue?: string; retry?: RetryOptions; timeout?: Duration; plugins?: Plugin[]; args?: unknown }, perform: JobSpec['perform']): JobSpec {
  validateJobName(source.name);
  const queue = source.queue ?? defaults.queue;
  validateQueueName(queue);
  return Object.freeze({
    name: source.name,
    queue,
    // Checked here, at definition, so a bad option fails the load instead of a worker later.
    retry: checkRetry(source.name, source.retry),
    timeoutMs: checkTimeout(source.name, source.timeout),
    plugins: checkPlugins(`job ${source.name}`, source.plugins),
    argsSchema: checkArgsSchema(source.name, source.args),
    perform,
  });
}

export function defineJob<S extends ArgsSchema>(options: SchemaJobOptions<S>): JobDefinition<SchemaInput<S>>;
export function defineJob<F extends (...args: any[]) => unknown>(options: JobOptions<F>): JobDefinition<ArgsOf<F>>;
export function defineJob<F extends (...args: any[]) => unknown>(options: JobOptions<F> | SchemaJobOptions<ArgsSchema>): JobDefinition<ArgsOf<F>> {
  if (typeof options?.perform !== 'function') throw new ConfigError(`job ${options?.name ?? '(unnamed)'} needs a perform function`);
  const perform = options.perform as F;
  const spec = makeSpec(options, (args, ctx) => perform(...args, ctx));
  registry.set(spec.name, spec);
  const runAtOf = (when: Date | number) => (when instanceof Date ? when.getTime() : when);
  return Object.freeze({
    name: spec.name,
    queue: spec.queue,
    spec,
    enqueue: (...args: ArgsOf<F>) => getDefaultEnqueuer().enqueueSpec(spec, args),
    enqueueIn: (delay: Duration, ...args: ArgsOf<F>) => getDefaultEnqueuer().enqueueSpec(spec, args, Date.now() + toMs(delay, 'delay')),
    enqueueAt: (when: Date | number, ...args: ArgsOf<F>) => getDefaultEnqueuer().enqueueSpec(spec, args, runAtOf(when)),
  });
}

/** A job known only by name, run elsewhere (a Ruby worker, another service): enqueue only. */
export function foreignJob(name: string, queue: string): JobSpec {
  return makeSpec({ name, queue }, () => {
    throw new ConfigError(`job ${name} is not defined in this process`);
  });
}

const classSpecs = new WeakMap<object, JobSpec>();

/** The JobSpec of a definition or a Resque-style class (cached per class). */
export function specOf(job: AnyJob): JobSpec {
  if ('spec' in job && job.spec) return job.spec;
  const cls = job as ResqueClass;
  let spec = classSpecs.get(cls);
  if (!spec) {
    if (typeof cls.perform !== 'function') throw new ConfigError(`${cls.name || 'job'} is not a job: it needs a static perform method or defineJob()`);
    spec = makeSpec({ ...pickStatics(cls), name: cls.jobName ?? cls.name }, (args, ctx) => cls.perform(...args, ctx));
    classSpecs.set(cls, spec);
    registry.set(spec.name, spec);
  }
  return spec;
}

function pickStatics(cls: ResqueClass) {
  return { queue: cls.queue, retry: cls.retry, timeout: cls.timeout, plugins: cls.plugins };
}

/** True for values that look like jobs: used to collect jobs from a required module's exports. */
export function isJob(value: unknown): value is AnyJob {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const candidate = value as { spec?: unknown; perform?: unknown };
  return (typeof candidate.spec === 'object' && candidate.spec !== null) || (typeof value === 'function' && typeof candidate.perform === 'function');
}
