// createErrand(): the object an app holds. It opens the store lazily from one URL, enqueues
// (single, bulk, delayed; the writes themselves in enqueue-write.ts), runs jobs at once in inline
// mode, and makes workers. Lifecycle: create → use → close(). Invariant: nothing reaches the store
// unless every arg is JSON-safe and every beforeEnqueue hook agreed.

import { ConfigError } from '../errors.ts';
import { defaults } from '../defaults.ts';
import { definedJobs, specOf, type AnyJob, type EnqueuedJob, type JobArgs, type JobSpec } from '../job/define.ts';
import { toMs, type Duration } from '../job/duration.ts';
import { checkPlugins } from '../job/options.ts';
import type { Plugin } from '../job/types.ts';
import { createLogger, verbosityFromEnv, type Logger, type Verbosity } from '../log.ts';
import { checkDelayedLayout, openStore, resolveStoreUrl } from '../storage/open.ts';
import type { AdminStore, JobState, Store } from '../storage/types.ts';
import { Worker, type WorkerOptions } from '../worker/worker.ts';
import { prepareJobs } from './prepare.ts';
import { EnqueueWrite } from './enqueue-write.ts';
import { prepareLeaseThread } from '../worker/lease-spawn.ts';
import { warmUpWorkerStart } from '../worker/warm-up.ts';
import { WorkerHandle, type SchedulingOptions } from './worker-handle.ts';
import { checkUnique, type ScheduleDefinition } from '../scheduler/define.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { Recorder } from '../metrics/recorder.ts';
import type { Registry } from 'prom-client';
import { checkTracingOptions, type TracingOptions } from '../tracing/options.ts';
import { loadTracing, type LoadedTracing } from '../tracing/load.ts';
import { closeEventTransport, eventTransportOf } from '../storage/events.ts';
import { JobEvents } from '../events/subscription.ts';
import { WorkerEvents } from '../events/worker-events.ts';
import { parseQueues, queueOrder } from '../worker/queues.ts';

export interface ErrandOptions {
  /** redis://…, rediss://…, sqlite:path. Default: ERRAND_URL, then REDIS_URL, then sqlite:./var/errand.db. */
  url?: string;
  /** Redis key prefix (default 'resque', as Ruby Resque). */
  namespace?: string;
  /** Jobs this instance runs; jobs defined with defineJob in this process are known anyway. */
  jobs?: readonly AnyJob[];
  logger?: Logger;
  /** Run jobs at once on enqueue (after the same JSON round trip and hooks). Also ERRAND_INLINE=1. */
  inline?: boolean;
  /** Plugins for every job. */
  plugins?: readonly Plugin[];
  /** Enqueue fails after this long when the store cannot be reached. */
  timeout?: Duration;
  /** Schedules every worker of this instance runs (each worker may add its own: worker({ schedules })). */
  schedules?: readonly ScheduleDefinition[];
  /**
   * Redis only: where enqueueAt/enqueueIn put delayed jobs. 'errand' (default): errand's scheduled
   * set, due to the ms. 'resque-scheduler': Ruby resque-scheduler's keys (`delayed_queue_schedule`,
   * `delayed:<ts>`, `timestamps:<json>`), due to the second, so resque-web's Delayed tab and
   * Resque.remove_delayed see them; such a job keeps only its class, args and queue (no id).
   */
  delayed?: 'errand' | 'resque-scheduler';
  /** Record Prometheus metrics from the start (else from the first errand.metrics() call). See docs/metrics.md. */
  metrics?: boolean;
  /**
   * OpenTelemetry spans for enqueue and perform, with the trace context in the payload (see
   * docs/tracing.md). On when @opentelemetry/api is installed and a tracer provider is
   * registered; `false` turns it off. Default `{ propagation: 'link', debug: false }`.
   */
  tracing?: TracingOptions | false;
}

export interface MetricsOptions {
  /** Include the gauges read from the store at scrape time (queue sizes, latency, failed...). Default true. */
  store?: boolean;
}

export class Errand {
  readonly url: string;
  readonly inline: boolean;
  readonly log: Logger;
  readonly plugins: readonly Plugin[];
  private readonly verbosity: Verbosity;
  private readonly extraJobs: readonly AnyJob[];
  private storePromise: Promise<Store> | undefined;
  /** The store once open (and tracing loaded): the single enqueue's fast path needs no await for it. */
  private openedStore: Store | undefined;
  private readonly workers = new Set<WorkerHandle>();
  private readonly timeoutMs: number;
  private closed = false;
  private recorder_: Recorder | undefined;
  private readonly registries = new Map<boolean, Promise<Registry>>();
  /** Set once @opentelemetry/api loaded (never, when it is absent or tracing is off). */
  private tracing: LoadedTracing | undefined;
  private readonly tracingLoaded: Promise<void> | undefined;
  private readonly writes: EnqueueWrite;
  private readonly subscriptions = new Set<{ close(): Promise<void> }>();

  constructor(private readonly options: ErrandOptions = {}) {
    this.inline = options.inline ?? (!!process.env.ERRAND_INLINE && process.env.ERRAND_INLINE !== '0');
    this.url = resolveStoreUrl(options.url);
    checkDelayedLayout(this.url, options.delayed);
    this.verbosity = verbosityFromEnv();
    this.log = options.logger ?? createLogger(this.verbosity);
    this.plugins = checkPlugins('createErrand()', options.plugins);
    this.extraJobs = options.jobs ?? [];
    for (const job of this.extraJobs) specOf(job);
    this.timeoutMs = toMs(options.timeout ?? defaults.connectTimeoutMs, 'timeout');
    if (options.metrics) this.recorder();
    const tracing = checkTracingOptions(options.tracing, this.url);
    if (tracing && !this.inline) this.tracingLoaded = loadTracing(tracing).then((loaded) => void (this.tracing = loaded));
    this.writes = new EnqueueWrite({
      inline: this.inline, plugins: this.plugins, log: this.log, store: () => this.store(), jobs: () => this.jobs(),
      tracing: () => this.tracing, recorder: () => this.recorder_,
    });
  }

  /**
   * The Prometheus registry (prom-client) of this instance, for an app that serves its own
   * /metrics: what its workers, schedules and enqueues did since recording began (the first call,
   * or createErrand({ metrics: true })), and gauges read from the store at each scrape.
   */
  metrics(options: MetricsOptions = {}): Promise<Registry> {
    const store = options.store ?? true;
    const recorder = this.recorder();
    let registry = this.registries.get(store);
    if (!registry) {
      registry = import('../metrics/registry.ts').then(({ buildRegistry }) => buildRegistry({
        snapshot: () => recorder.snapshot(),
        ...(store ? { store: { admin: () => this.admin(), schedules: async () => (await this.store()).schedules() } } : {}),
      }));
      this.registries.set(store, registry);
    }
    return registry;
  }

  /** @internal The metrics recorder, made on first use and watching this instance's workers from then on. */
  recorder(): Recorder {
    if (!this.recorder_) {
      const recorder = (this.recorder_ = new Recorder());
      for (const handle of this.workers) {
        if (handle.running.worker) recorder.watchWorker(handle.running.worker);
        if (handle.running.scheduler) recorder.watchScheduler(handle.running.scheduler);
      }
    }
    return this.recorder_;
  }

  /**
   * The store, opened on first use. A failed open is not kept: the next call tries again, so an
   * app started before Redis (or during another process's SQLite migration) recovers by itself.
   */
  store(): Promise<Store> {
    if (this.closed) return Promise.reject(new ConfigError('this errand instance was closed'));
    if (!this.storePromise) {
      // Tracing loads alongside, so the first enqueue is traced too (later ones wait for neither).
      const opening = openStore(this.url, { namespace: this.options.namespace ?? defaults.namespace, commandTimeoutMs: this.timeoutMs, delayed: this.options.delayed })
        .then(async (store) => (await this.tracingLoaded, store));
      this.storePromise = opening;
      opening.then((store) => {
        if (this.storePromise === opening) this.openedStore = store;
      }, () => {});
      opening.catch(() => {
        if (this.storePromise === opening) this.storePromise = undefined;
      });
    }
    return this.storePromise;
  }

  async admin(): Promise<AdminStore> {
    return (await this.store()).admin();
  }

  /**
   * Where the job with this id (EnqueuedJob.id) is now: waiting, scheduled, in flight, failed,
   * or unknown (finished jobs are not kept). An O(n) scan of the store: for operators, not per job.
   */
  async job(id: string): Promise<JobState> {
    return (await this.admin()).job(id);
  }

  /** Every job this instance can run, by name. */
  jobs(): Map<string, JobSpec> {
    const jobs = new Map(definedJobs());
    for (const job of this.extraJobs) jobs.set(specOf(job).name, specOf(job));
    return jobs;
  }

  enqueue<J extends AnyJob>(job: J, ...args: JobArgs<J>): Promise<EnqueuedJob | null> {
    const spec = specOf(job);
    const store = this.openedStore;
    // The request path's common case, with nothing to ask or wait for before the write: no args
    // schema, no hooks, no tracing, the store open. The same checks and payload, fewer layers.
    if (store && !this.inline && !spec.argsSchema && spec.plugins.length === 0 && this.plugins.length === 0 && !this.tracing?.tracer.on()) return this.writes.now(store, spec, args);
    return this.enqueueSpec(spec, args);
  }

  enqueueIn<J extends AnyJob>(delay: Duration, job: J, ...args: JobArgs<J>): Promise<EnqueuedJob | null> {
    return this.enqueueSpec(specOf(job), args, Date.now() + toMs(delay, 'delay'));
  }

  enqueueAt<J extends AnyJob>(when: Date | number, job: J, ...args: JobArgs<J>): Promise<EnqueuedJob | null> {
    const runAt = when instanceof Date ? when.getTime() : when;
    if (!Number.isFinite(runAt)) throw new ConfigError(`enqueueAt needs a valid Date or epoch milliseconds, got ${String(when)}`);
    return this.enqueueSpec(specOf(job), args, runAt);
  }

  /** Many jobs of one kind in one round trip. Resolves to the stored jobs (vetoed ones left out). */
  async enqueueBulk<J extends AnyJob>(job: J, argsList: readonly JobArgs<J>[]): Promise<EnqueuedJob[]> {
    return this.writes.write(await prepareJobs(specOf(job), argsList as readonly unknown[][], this.plugins, undefined));
  }

  /** Used by job.enqueue() on the default instance and by the typed methods above. */
  async enqueueSpec(spec: JobSpec, args: unknown[], runAt?: number): Promise<EnqueuedJob | null> {
    const [stored] = await this.writes.write(await prepareJobs(spec, [args], this.plugins, runAt));
    return stored ?? null;
  }

  /**
   * Lifecycle events (enqueued, started, completed, failed, retried, recovered) of a job's queue,
   * narrowed to that job and typed with its args, or of a list of queues; from every process on
   * a Redis store, from this process on SQLite. Nothing is published while nobody subscribes.
   */
  events<J extends AnyJob>(job: J): JobEvents<JobArgs<J>>;
  events(options: { queues: readonly string[] }): JobEvents;
  events(target: AnyJob | { queues: readonly string[] }): JobEvents<any> {
    const filter = 'queues' in target && !('perform' in target) ? { queues: target.queues } : { queues: [specOf(target as AnyJob).queue], name: specOf(target as AnyJob).name };
    const subscription = new JobEvents<unknown[]>(this.store().then(eventTransportOf), filter, (closed) => this.subscriptions.delete(closed));
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** A worker on this instance's store; call start() to run it. With `schedules`, it also runs those schedules' ticks. */
  worker(options: WorkerOptions & SchedulingOptions): WorkerHandle {
    checkUnique([...(this.options.schedules ?? []), ...(options.schedules ?? [])]);
    // Its lease thread starts loading now, and first-use costs are paid now, so that they overlap
    // opening the store, not the first jobs.
    if (!this.inline) {
      prepareLeaseThread(this.url);
      warmUpWorkerStart();
    }
    return new WorkerHandle(this, options, this.workers);
  }

  /** @internal */
  async makeScheduler(schedules: readonly ScheduleDefinition[]): Promise<Scheduler> {
    const all = checkUnique([...(this.options.schedules ?? []), ...schedules]);
    const scheduler = new Scheduler((await this.store()).schedules(), all, this.log);
    this.recorder_?.watchScheduler(scheduler);
    return scheduler;
  }

  /** @internal */
  async makeWorker(options: WorkerOptions): Promise<Worker> {
    const store = await this.store();
    const tracing = this.tracing && { store: this.tracing.workerStore(store), tracing: this.tracing.tracer };
    let worker: Worker | undefined;
    const events = new WorkerEvents(eventTransportOf(store), () => worker?.id ?? '');
    events.watch(queueOrder(parseQueues(options.queues)));
    worker = new Worker({ store, jobs: this.jobs(), plugins: this.plugins, log: this.log, verbosity: this.verbosity, events, ...tracing }, options);
    this.recorder_?.watchWorker(worker);
    return worker;
  }

  /** Stops this instance's workers (gracefully) and closes the store connection. */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.stop()));
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.closed = true;
    const store = this.storePromise;
    this.storePromise = undefined;
    this.openedStore = undefined;
    const opened = store && (await store.catch(() => undefined));
    if (opened) closeEventTransport(opened);
    await opened?.close();
  }
}

export function createErrand(options: ErrandOptions = {}): Errand {
  return new Errand(options);
}
