// The worker: takes jobs from its queues in batches, runs up to `concurrency` at once, settles
// them in batches. Its parts: the fetch loop (fetch-loop.ts) reserves jobs, the slot bookkeeping
// (slots.ts) holds them and starts them in token order, this file runs each one and reports its
// outcome, the stop sequence (stop-sequence.ts) winds down. Lifecycle: start() registers and runs
// the fetch loop; pause()/resume() stop and restart taking jobs; stop() stops taking jobs, then
// runs the stop sequence. Invariants: every job it holds is in its in-flight set in the store until
// settled or released; a job whose token was released is never settled by this worker (run()
// checks the slot's `released` flag); every settle carries the started watermark (slots.ts).

import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { defaults } from '../defaults.ts';
import type { JobSpec } from '../job/define.ts';
import type { JobInfo, Plugin, WorkerInfoForHooks } from '../job/types.ts';
import { childLogger, type Logger } from '../log.ts';
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
import { IdleWait } from './idle-wait.ts';
import { Slots, type Running } from './slots.ts';
import { FetchLoop } from './fetch-loop.ts';
import { stopSequence } from './stop-sequence.ts';
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

let workersInProcess = 0;

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
  private readonly slots: Slots;
  private readonly fetching: FetchLoop;
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
  private readonly leaseMs: number;
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
    this.settler = new Settler({ settle: (id, outcomes) => deps.store.settle(id, outcomes, this.slots.startedUpTo) }, () => this.id, this.log);
    this.slots = new Slots(this.concurrency, {
      open: () => this.state === 'running',
      started: (job) => this.deps.events?.started(job),
      watermark: (token) => this.upkeep.started(token),
      run: (running) => void this.run(running),
    });
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
    this.fetching = new FetchLoop({
      store: deps.store, log: this.log, concurrency: this.concurrency, pollMs: this.pollMs, slots: this.slots,
      prefetch: this.prefetch, nudge: this.nudge, idleWaits: this.idleWaits, upkeep: this.upkeep,
      workerId: () => this.id, queues: () => queueOrder(this.selection), running: () => this.state === 'running', paused: () => this.isPaused,
      take: (jobs) => {
        this.slots.add(jobs);
        this.slots.fill();
      },
      queueEmpty: () => runWorkerHook(this.deps.plugins, 'queueEmpty', this.hookInfo).catch((error) => this.log.error({ err: error }, 'queueEmpty hook threw')),
    });
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
    const { instance, jobs } = await store.registerAndReserve(this.registration(), queueOrder(this.selection), this.fetching.want(), this.concurrency);
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
    if (firstJobs.length > 0) this.fetching.took(firstJobs);
    this.loopDone = this.fetching.run();
    this.upkeep.start(registration);
    this.log.info({ queues: queueLabel(this.selection), concurrency: this.concurrency, store: this.deps.store.description }, 'worker started');
  }

  pause(): void {
    if (!this.paused) this.log.info({}, 'paused: taking no new jobs');
    this.paused = true;
    // An idle wait ends, so the fetch loop sees the pause and ends a park (a store's hand-off).
    this.idleWaits.interrupt();
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
    return this.slots.busy;
  }

  /** Jobs this worker holds: running, then waiting in its buffer. */
  get held(): number {
    return this.slots.held;
  }

  private status(): WorkerStatus {
    const first = this.slots.first();
    return { workingOn: first ? { queue: first.job.queue, payload: first.job.payload, runAt: new Date(first.startedAt) } : null, startedUpTo: this.slots.startedUpTo };
  }

  private async onControl(control: Control): Promise<void> {
    if (!control.known && this.state === 'running') {
      // Declared dead (e.g. a long pause of this process): the store handed our jobs to others.
      // Drop the unstarted ones and register again; running ones may finish but will not settle.
      // A new instance: the old one's id may already be someone else's (see storage/identity.ts).
      const dropped = this.slots.disown();
      this.log.warn({ dropped }, 'this worker was declared dead by the others; registering again');
      this.id = await this.register();
      this.upkeep.renamed(this.id);
    }
    // Jobs nobody announced (pushed by Ruby Resque, say): the heartbeat saw them, so stop waiting.
    if (control.workWaiting) this.idleWaits.interrupt();
    if (control.paused !== this.pausedByStore) {
      this.pausedByStore = control.paused;
      this.log.info({}, control.paused ? 'pause-all-workers is set: pausing' : 'pause-all-workers cleared: resuming');
      this.nudge.nudge();
      if (control.paused) this.idleWaits.interrupt();
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
      this.slots.free(running);
      if (!running.released) await this.deps.store.release(this.id, [running.job.token]).catch(() => {});
      this.slots.fill();
      this.nudge.nudge();
      return;
    }
    this.slots.free(running);
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
    this.slots.fill();
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
   * unfinished back and unregisters (stop-sequence.ts).
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return this.stopped();
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    const timeoutMs = stopTimeoutMs(options, this.shutdownMs);
    this.stopController.abort();
    this.nudge.nudge();
    await stopSequence({
      store: this.deps.store, log: this.log, workerId: () => this.id, slots: this.slots, nudge: this.nudge,
      fetchLoopDone: () => this.loopDone, abortJobs: this.abortJobs, settler: this.settler, upkeep: this.upkeep, registered: wasRunning,
      workerStop: () => runWorkerHook(this.deps.plugins, 'workerStop', this.hookInfo).catch((error) => this.log.error({ err: error }, 'workerStop hook threw')),
    }, timeoutMs);
    this.state = 'stopped';
    this.log.info({}, 'worker stopped');
    this.observer?.stopped(this);
    this.emit('stopped');
  }

  private stopped(): Promise<void> {
    return this.state === 'stopped' ? Promise.resolve() : new Promise((resolve) => this.once('stopped', () => resolve()));
  }
}
