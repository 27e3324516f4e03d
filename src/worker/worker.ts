// The worker: takes jobs from its queues in batches, runs up to `concurrency` at once, settles
// them in batches. Lifecycle: start() registers and runs the fetch loop; pause()/resume() stop and
// restart taking jobs; stop() stops taking jobs, puts back what it holds but has not started,
// waits for running jobs until the deadline, aborts their signals, puts back the unfinished ones
// and unregisters. Invariants: every job it holds is in its in-flight set in the store until
// settled or released; a job whose token was released is never settled by this worker; jobs
// start in token order, so the highest started token (the started watermark) tells the store
// which held jobs had started if this worker dies.

import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { defaults } from '../defaults.ts';
import type { JobSpec } from '../job/define.ts';
import type { JobInfo, Plugin, WorkerInfoForHooks } from '../job/types.ts';
import { childLogger, trace, type Logger } from '../log.ts';
import { runWorkerHook } from '../plugins/hooks.ts';
import type { Control, ReservedJob, Store, WorkerRegistration, WorkerStatus } from '../storage/types.ts';
import { execute, type ExecutorDeps } from './executor.ts';
import { queueLabel, queueOrder, type QueueSelection } from './queues.ts';
import { Nudge } from './nudge.ts';
import { resolveSettings, stopTimeoutMs, type StopOptions, type WorkerOptions } from './settings.ts';

export type { StopOptions, WorkerOptions } from './settings.ts';
import { Settler } from './settler.ts';
import { Upkeep } from './upkeep.ts';
import { monotonicMs } from './contact.ts';
import { Prefetch } from './prefetch.ts';
import { IdleWait, idleWaitTimeoutMs } from './idle-wait.ts';
import type { WorkerObserver } from './observer.ts';
import type { JobTracer } from '../tracing/options.ts';
import type { WorkerEventSink } from '../events/worker-events.ts';

export interface WorkerDeps {
  store: Store;
  jobs: ReadonlyMap<string, JobSpec>;
  plugins: readonly Plugin[];
  log: Logger;
  verbosity: 'quiet' | 'verbose' | 'very-verbose';
  /** Spans around each attempt, when OpenTelemetry tracing is on (tracing/). */
  tracing?: JobTracer;
  /** Lifecycle events for errand.events() subscribers (events/worker-events.ts); each call is a map read when nobody listens. */
  events?: WorkerEventSink;
}

export type WorkerState = 'idle' | 'running' | 'stopping' | 'stopped';

interface Running {
  job: ReservedJob;
  /** Epoch ms; a number, not a Date, because this is made for every job. */
  startedAt: number;
  released: boolean;
}

let workersInProcess = 0;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Worker extends EventEmitter {
  /** Resque's id for it, `host:pid:queues`: what Resque and resque-web show. */
  readonly resqueId: string;
  /** Its instance id in the store (the Resque id, or that plus a suffix; see storage/identity.ts): set by start(). */
  id: string;
  readonly concurrency: number;
  state: WorkerState = 'idle';
  private paused = false;
  private pausedByStore = false;
  private readonly selection: QueueSelection;
  private readonly buffer: ReservedJob[] = [];
  private readonly running = new Map<string, Running>();
  private readonly settler: Settler;
  private readonly upkeep: Upkeep;
  private readonly prefetch: Prefetch;
  private readonly executor: ExecutorDeps;
  private readonly stopController = new AbortController();
  private readonly idleWaits = new IdleWait(this.stopController.signal);
  private readonly abortJobs = new AbortController();
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly shutdownMs: number;
  private readonly nudge = new Nudge();
  private loopDone: Promise<void> | undefined;
  private idle = false;
  private readonly leaseMs: number;
  /** The highest token started (jobs start in token order). */
  private startedUpTo = 0;
  /** Told of every finished attempt and recovery (metrics); see observer.ts. */
  observer: WorkerObserver | undefined;

  constructor(private readonly deps: WorkerDeps, options: WorkerOptions) {
    super();
    const settings = resolveSettings(options);
    this.selection = settings.selection;
    this.concurrency = settings.concurrency;
    this.pollMs = settings.pollMs;
    this.shutdownMs = settings.shutdownMs;
    const n = ++workersInProcess;
    this.resqueId = `${hostname()}:${process.pid}${n > 1 ? `-${n}` : ''}:${queueLabel(this.selection)}`;
    this.id = this.resqueId;
    this.leaseMs = settings.upkeep.leaseMs;
    this.log = childLogger(deps.log, { worker: this.id });
    this.prefetch = new Prefetch(this.concurrency, settings.maxPrefetch);
    // Every settle carries the started watermark: the store learns of jobs started from the buffer.
    this.settler = new Settler({ settle: (id, outcomes) => deps.store.settle(id, outcomes, this.startedUpTo) }, () => this.id, this.log);
    this.executor = {
      jobs: deps.jobs, plugins: deps.plugins, log: this.log, verbose: deps.verbosity !== 'quiet',
      workerId: () => this.resqueId, stopSignal: this.abortJobs.signal,
      beforeJob: deps.plugins.filter((plugin) => plugin.beforeJob), workerInfo: () => this.hookInfo, tracing: deps.tracing,
    };
    this.upkeep = new Upkeep(deps.store, settings.upkeep, {
      workerId: () => this.id, status: () => this.status(), onControl: (control) => this.onControl(control),
      holdsJobs: () => this.held > 0 || this.settler.size > 0, queues: () => queueOrder(this.selection),
      recovered: (result) => {
        this.observer?.recovered(result);
        deps.events?.recovered(result);
      },
    }, this.log);
  }

  private get hookInfo(): WorkerInfoForHooks {
    return { id: this.id, queues: this.selection.kind === 'all' ? ['*'] : queueLabel(this.selection).split(',') };
  }

  private registration(): WorkerRegistration {
    return { id: this.resqueId, queues: this.hookInfo.queues, startedAt: new Date(), concurrency: this.concurrency, leaseMs: this.leaseMs };
  }

  private register(): Promise<string> {
    return this.deps.store.register(this.registration());
  }

  /** Registers; where the store can, its first jobs come back in the same round trip. */
  private async registerWithFirstJobs(): Promise<ReservedJob[]> {
    const store = this.deps.store;
    if (!store.registerAndReserve || this.paused) {
      this.id = await this.register();
      return [];
    }
    const want = Math.min(this.concurrency + this.prefetch.extra(), defaults.maxBatch);
    const { instance, jobs } = await store.registerAndReserve(this.registration(), queueOrder(this.selection), want, this.concurrency);
    this.id = instance;
    return jobs;
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`worker ${this.id} was already started`);
    const sentAt = monotonicMs();
    const firstJobs = await this.registerWithFirstJobs();
    const registration = { sentAt, rttMs: monotonicMs() - sentAt };
    if (this.id !== this.resqueId) this.log.info({ instance: this.id }, 'another live instance shows the same Resque id: this one has its own instance id');
    this.state = 'running';
    await runWorkerHook(this.deps.plugins, 'workerStart', this.hookInfo);
    // Jobs taken with the registration start now; then the fetch loop runs up to its first
    // reserve's send before anything else: a fresh worker takes its first jobs as soon as it is
    // registered. Registration set the lease, so the heartbeats (the lease thread) may start a
    // moment after.
    if (firstJobs.length > 0) {
      this.idle = false;
      for (const job of firstJobs) this.buffer.push(job);
      this.dispatch();
    }
    this.loopDone = this.fetchLoop();
    this.upkeep.start(registration);
    this.log.info({ queues: queueLabel(this.selection), concurrency: this.concurrency, store: this.deps.store.description }, 'worker started');
  }

  pause(): void {
    if (!this.paused) this.log.info({}, 'paused: taking no new jobs');
    this.paused = true;
  }

  resume(): void {
    if (this.paused) this.log.info({}, 'resumed');
    this.paused = false;
    this.nudge.nudge();
  }

  get isPaused(): boolean {
    return this.paused || this.pausedByStore;
  }

  /** Jobs running now (busy slots, out of `concurrency`). */
  get busy(): number {
    return this.running.size;
  }

  /** Jobs this worker holds: running, then waiting in its buffer. */
  get held(): number {
    return this.running.size + this.buffer.length;
  }

  private status(): WorkerStatus {
    const first = this.running.values().next().value as Running | undefined;
    return { workingOn: first ? { queue: first.job.queue, payload: first.job.payload, runAt: new Date(first.startedAt) } : null, startedUpTo: this.startedUpTo };
  }

  private async onControl(control: Control): Promise<void> {
    if (!control.known && this.state === 'running') {
      // Declared dead (e.g. a long pause of this process): the store handed our jobs to others.
      // Drop the unstarted ones and register again; running ones may finish but will not settle.
      this.log.warn({ dropped: this.buffer.length }, 'this worker was declared dead by the others; registering again');
      this.buffer.length = 0;
      for (const running of this.running.values()) running.released = true;
      // A new instance: the old one's id may already be someone else's (see storage/identity.ts).
      this.startedUpTo = 0;
      this.id = await this.register();
      this.upkeep.renamed(this.id);
    }
    // Jobs nobody announced (pushed by Ruby Resque, say): the heartbeat saw them, so stop waiting.
    if (control.workWaiting) this.idleWaits.interrupt();
    if (control.paused !== this.pausedByStore) {
      this.pausedByStore = control.paused;
      this.log.info({}, control.paused ? 'pause-all-workers is set: pausing' : 'pause-all-workers cleared: resuming');
      this.nudge.nudge();
    }
  }

  /** The fetch loop, guarded: an unexpected error is logged and the loop goes on after a pause. */
  private async fetchLoop(): Promise<void> {
    while (this.state === 'running') {
      try {
        await this.fetchUntilStopped();
      } catch (error) {
        this.log.error({ err: error }, 'unexpected error in the fetch loop; going on');
        await this.nudge.nap(1_000);
      }
    }
  }

  private async fetchUntilStopped(): Promise<void> {
    const store = this.deps.store;
    let failures = 0;
    let justWoke = false;
    while (this.state === 'running') {
      if (this.isPaused) {
        await this.nudge.nap(this.pollMs);
        continue;
      }
      const capacity = this.concurrency + this.prefetch.extra();
      const want = Math.min(capacity - this.held, defaults.maxBatch);
      const slotIdle = this.running.size < this.concurrency && this.buffer.length === 0;
      if (want <= 0 || (!slotIdle && want < capacity / 2)) {
        await this.nudge.nap(this.pollMs);
        continue;
      }
      let jobs: ReservedJob[];
      try {
        // With nothing buffered, the first free slots' worth of this batch start at once.
        const startNow = this.buffer.length === 0 ? this.concurrency - this.running.size : 0;
        jobs = await store.reserve(this.id, queueOrder(this.selection), want, startNow);
        failures = 0;
      } catch (error) {
        failures++;
        this.log.warn({ err: error }, 'could not take jobs from the store; retrying');
        await this.nudge.nap(Math.min(100 * 2 ** failures, 5_000));
        continue;
      }
      if (this.state !== 'running') {
        await store.release(this.id, jobs.map((job) => job.token)).catch(() => {});
        break;
      }
      trace(this.log, { reserved: jobs.length, want }, 'reserve');
      if (jobs.length > 0) {
        this.upkeep.hurry();
        this.idle = false;
        for (const job of jobs) this.buffer.push(job);
        this.dispatch();
        // A store that answers synchronously (SQLite) would otherwise keep this loop in microtasks
        // for as long as work lasts, and timers (the heartbeat!) and I/O would never run.
        await yieldToEventLoop();
        continue;
      }
      if (this.held > 0) {
        // Queues are empty but jobs still run: look again when one finishes or work is announced.
        const wait = new AbortController();
        await Promise.race([this.nudge.nap(this.pollMs), store.waitForWork(this.id, queueOrder(this.selection), this.pollMs, wait.signal)]);
        wait.abort();
        this.nudge.nudge();
        continue;
      }
      // Woken but nothing to take: a scheduled job may have fallen due. Promote, then look again.
      // Done only after an empty reserve, so an announced job never waits for maintenance.
      if (justWoke) {
        justWoke = false;
        if (await this.upkeep.maintainIfStale(50)) continue;
      }
      if (!this.idle) {
        this.idle = true;
        await runWorkerHook(this.deps.plugins, 'queueEmpty', this.hookInfo).catch((error) => this.log.error({ err: error }, 'queueEmpty hook threw'));
      }
      const timeoutMs = idleWaitTimeoutMs(this.pollMs, this.upkeep.idleBeatMs);
      await this.idleWaits.wait((signal) => store.waitForWork(this.id, queueOrder(this.selection), timeoutMs, signal));
      justWoke = true;
    }
  }

  private dispatch(): void {
    while (this.running.size < this.concurrency && this.buffer.length > 0 && this.state === 'running') {
      const job = this.buffer.shift()!;
      const running: Running = { job, startedAt: Date.now(), released: false };
      this.running.set(job.token, running);
      this.deps.events?.started(job);
      const token = Number(job.token);
      if (token > this.startedUpTo) {
        this.startedUpTo = token;
        this.upkeep.started(token);
      }
      void this.run(running);
    }
  }

  private async run(running: Running): Promise<void> {
    let execution: Awaited<ReturnType<typeof execute>>;
    try {
      execution = await execute(running.job, this.executor);
    } catch (error) {
      // execute() turns every failure into an outcome; should it throw anyway, the slot is
      // freed and the job goes back to its queue rather than sitting in flight unnoticed.
      this.log.error({ err: error, queue: running.job.queue }, 'unexpected error running a job; putting it back');
      this.running.delete(running.job.token);
      if (!running.released) await this.deps.store.release(this.id, [running.job.token]).catch(() => {});
      this.dispatch();
      this.nudge.nudge();
      return;
    }
    this.running.delete(running.job.token);
    this.prefetch.observe(execution.durationMs);
    if (!running.released) {
      this.observer?.executed(running.job, execution, running.startedAt);
      this.settler.add(execution.outcome);
      this.deps.events?.finished(running.job, execution);
      if (execution.outcome.kind === 'failed') {
        this.log.warn({ job: execution.info?.name, id: execution.info?.id, queue: running.job.queue, err: execution.error }, 'job failed');
      }
      if (execution.info) this.emitOutcome(execution.outcome.kind, execution.info, execution.error, execution.result);
    }
    this.dispatch();
    this.nudge.nudge();
  }

  /** A listener that throws is logged: it must not take the worker down or keep the slot. */
  private emitOutcome(kind: 'done' | 'retry' | 'failed', info: JobInfo, error: unknown, result: unknown): void {
    const event = kind === 'done' ? 'completed' : kind === 'retry' ? 'retrying' : 'failed';
    if (this.listenerCount(event) === 0) return;
    try {
      this.emit(event, info, kind === 'done' ? result : error);
    } catch (listenerError) {
      this.log.error({ err: listenerError, event, job: info.name, id: info.id }, `a '${event}' listener threw`);
    }
  }

  /**
   * Stops taking jobs, puts back unstarted ones, waits for running ones up to `timeout`
   * (Infinity waits however long they take, Resque's QUIT), then aborts their signals, puts the
   * unfinished back and unregisters.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return this.stopped();
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    const timeoutMs = stopTimeoutMs(options, this.shutdownMs);
    this.stopController.abort();
    this.nudge.nudge();
    const store = this.deps.store;
    const unstarted = this.buffer.splice(0).map((job) => job.token);
    if (unstarted.length > 0) await store.release(this.id, unstarted).catch((error) => this.log.error({ err: error }, 'could not put back unstarted jobs; recovery will'));
    await this.loopDone;
    if (this.running.size > 0) {
      this.log.info({ running: this.running.size, timeoutMs }, 'stopping: waiting for running jobs');
      await this.allFinished(timeoutMs);
    }
    if (this.running.size > 0) {
      const abandoned = [...this.running.values()];
      for (const running of abandoned) running.released = true;
      this.abortJobs.abort(new Error('worker is shutting down'));
      const tokens = abandoned.map((running) => running.job.token);
      const released = await store.release(this.id, tokens).catch(() => 0);
      this.log.warn({ released }, 'shutdown deadline reached: unfinished jobs put back on their queues');
    }
    await Promise.race([this.settler.flush(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    this.settler.stop();
    // The lease thread stops before unregistering, so no heartbeat comes after it.
    await this.upkeep.stop();
    if (wasRunning) {
      await store.unregister(this.id).catch((error) => this.log.error({ err: error }, 'could not unregister; recovery will reclaim held jobs'));
      await runWorkerHook(this.deps.plugins, 'workerStop', this.hookInfo).catch((error) => this.log.error({ err: error }, 'workerStop hook threw'));
    }
    this.state = 'stopped';
    this.log.info({}, 'worker stopped');
    this.observer?.stopped(this);
    this.emit('stopped');
  }

  private stopped(): Promise<void> {
    return this.state === 'stopped' ? Promise.resolve() : new Promise((resolve) => this.once('stopped', () => resolve()));
  }

  private async allFinished(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0 && Date.now() < deadline) await this.nudge.nap(Math.min(deadline - Date.now(), 1_000));
  }
}
