// What errand.worker() returns at once, before the store is open: an event emitter that builds
// the real Worker on start() and passes its events through. on() works before start().

import { EventEmitter } from 'node:events';
import type { StopOptions, Worker, WorkerOptions } from '../worker/worker.ts';
import { parseQueues } from '../worker/queues.ts';
import type { ScheduleDefinition } from '../scheduler/define.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';

export interface SchedulingOptions {
  /** Schedules this worker runs: it offers their ticks to the store, which lets one process enqueue each. */
  schedules?: readonly ScheduleDefinition[];
}

const EVENTS = ['completed', 'failed', 'retrying', 'stopped'] as const;

interface WorkerFactory {
  makeWorker(options: WorkerOptions): Promise<Worker>;
  makeScheduler(schedules: readonly ScheduleDefinition[]): Promise<Scheduler>;
}

export class WorkerHandle extends EventEmitter {
  private worker: Worker | undefined;
  private starting: Promise<Worker> | undefined;
  private scheduler: Scheduler | undefined;

  constructor(private readonly factory: WorkerFactory, private readonly options: WorkerOptions & SchedulingOptions, private readonly registry: Set<WorkerHandle>) {
    super();
    parseQueues(options.queues); // a bad queue list fails here, before any store is opened
  }

  /** Registers with the store and starts taking jobs. Resolves once the worker is running. */
  async start(): Promise<void> {
    this.starting ??= (async () => {
      const worker = await this.factory.makeWorker(this.options);
      for (const event of EVENTS) worker.on(event, (...args: unknown[]) => this.emit(event, ...args));
      this.worker = worker;
      this.registry.add(this);
      await worker.start();
      // After the worker: a run a tick enqueues finds a worker registered to take it.
      this.scheduler = await this.factory.makeScheduler(this.options.schedules ?? []);
      await this.scheduler.start();
      return worker;
    })();
    await this.starting;
  }

  /** @internal What start() made, for errand.recorder() to watch once metrics are turned on. */
  get running(): { worker: Worker | undefined; scheduler: Scheduler | undefined } {
    return { worker: this.worker, scheduler: this.scheduler };
  }

  get id(): string | undefined {
    return this.worker?.id;
  }

  get state() {
    return this.worker?.state ?? 'idle';
  }

  pause(): void {
    this.worker?.pause();
  }

  resume(): void {
    this.worker?.resume();
  }

  /** Graceful: finishes running jobs or puts them back by the deadline. */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    await this.scheduler?.stop();
    await this.worker?.stop(options);
    this.registry.delete(this);
  }
}
