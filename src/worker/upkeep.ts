// A worker's background duties beside the fetch loop: the heartbeat (renews its lease, reports
// what it runs, learns of pause-all and of having been declared dead) and maintenance
// (recover(): hand back the jobs of workers whose lease expired, promote due scheduled jobs).
// Heartbeats come from beats.ts: a lease thread, so a job that keeps this event loop busy cannot
// stop them. They beat every heartbeat interval while the worker holds jobs and at half of the
// lease (at most twice the interval) while it holds none: a worker with nothing in flight loses
// nothing if declared dead, and each wake-up of an idle process costs CPU. Each heartbeat also
// tells whether maintenance has work, so maintenance runs only then; a timer brings promotion
// forward when a scheduled job falls due between beats. Reaping waits for good contact with the
// store (contact.ts). Invariant: one maintenance pass at a time.

import type { Control, RecoverResult, Store, WorkerStatus } from '../storage/types.ts';
import type { Logger } from '../log.ts';
import { trace } from '../log.ts';
import { makeBeats, type BeatResult, type Beats } from './beats.ts';
import { Contact, monotonicMs } from './contact.ts';

export interface UpkeepOptions {
  heartbeatMs: number;
  /** This worker's lease (its deadAfter). */
  leaseMs: number;
  /** The lease thread stops renewing once this event loop has not answered for this long. */
  stuckTimeoutMs: number;
  maintenanceMs: number;
  maxDeaths: number;
  promoteLimit: number;
}

export interface UpkeepHandlers {
  workerId(): string;
  status(): WorkerStatus;
  /** True while the worker holds jobs (running, buffered, or outcomes not yet written). */
  holdsJobs(): boolean;
  /** The queues the heartbeat looks at for jobs nobody announced (Control.workWaiting). */
  queues(): readonly string[] | '*';
  onControl(control: Control): Promise<void> | void;
  /** A recover() pass finished: metrics count what it handed back, errand.events() publishes it. */
  recovered?(result: RecoverResult): void;
}

export class Upkeep {
  private readonly beats: Beats;
  private readonly contact: Contact;
  private dueTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<RecoverResult | undefined> | undefined;
  private lastMaintenance = -Infinity;
  private stopped = true;
  private reportedOutOfContact = false;

  constructor(
    private readonly store: Store,
    private readonly options: UpkeepOptions,
    private readonly handlers: UpkeepHandlers,
    private readonly log: Logger,
  ) {
    this.contact = new Contact({ leaseMs: options.leaseMs, heartbeatMs: options.heartbeatMs, idleBeatMs: this.idleBeatMs });
    // A short lease gets a busy beat of a third of it at most: two late beats in a row, not one,
    // before a busy worker could look dead.
    const busyBeatMs = Math.min(options.heartbeatMs, options.leaseMs / 3);
    this.beats = makeBeats(store, { heartbeatMs: busyBeatMs, idleBeatMs: this.idleBeatMs, stuckTimeoutMs: options.stuckTimeoutMs }, {
      instance: handlers.workerId, status: handlers.status, holdsJobs: handlers.holdsJobs, queues: handlers.queues,
      onBeat: (result) => this.onBeat(result),
    }, log);
  }

  /** Starts once registered; the registration's round trip (monotonic ms) tells whether the store answers promptly. */
  start(registration: { sentAt: number; rttMs: number }): void {
    this.stopped = false;
    this.contact.registered(registration.sentAt, registration.rttMs);
    this.beats.start();
  }

  /** The heartbeat interval of a worker holding no job. */
  get idleBeatMs(): number {
    const o = this.options;
    return Math.max(o.heartbeatMs, Math.min(2 * o.heartbeatMs, o.leaseMs / 2));
  }

  /** The worker took jobs: a beat armed at the idle pace comes forward to the busy one. */
  hurry(): void {
    this.beats.hurry();
  }

  /** The worker started the job with this token. */
  started(token: number): void {
    this.beats.started(token);
  }

  /** The worker registered again under a new instance id. */
  renamed(instance: string): void {
    this.beats.renamed(instance);
  }

  private async onBeat(result: BeatResult): Promise<void> {
    if (this.stopped) return;
    let control: Control | undefined;
    if (result.ok) {
      this.contact.answered(result.sentAt, result.rttMs, result.control.storeNow);
      control = result.control;
      try {
        await this.handlers.onControl(control);
      } catch (error) {
        this.log.error({ err: error }, 'acting on the heartbeat failed; will try again');
      }
    } else {
      this.contact.failed();
      this.log.warn({ err: result.error }, 'heartbeat failed; will try again');
    }
    // Maintenance runs when the heartbeat says it has work, or when we could not ask.
    const due = control?.maintenanceDue !== false && monotonicMs() - this.lastMaintenance >= this.options.maintenanceMs - this.options.heartbeatMs / 2;
    const recovered = due ? await this.maintain() : undefined;
    const nextDueInMs = recovered ? recovered.nextDueInMs : control?.nextDueInMs;
    if (nextDueInMs !== undefined) this.scheduleDue(nextDueInMs);
  }

  /** A scheduled job falls due before the next beat: promote it then, not up to a beat late. */
  private scheduleDue(delayMs: number): void {
    if (this.stopped || delayMs >= this.options.heartbeatMs) return;
    clearTimeout(this.dueTimer);
    this.dueTimer = setTimeout(async () => {
      const result = await this.maintain();
      if (result?.nextDueInMs !== undefined) this.scheduleDue(result.nextDueInMs);
    }, delayMs);
    this.dueTimer.unref();
  }

  /** Runs maintenance unless it ran within `minGapMs`; true if it ran. An idle worker calls this when it wakes. */
  async maintainIfStale(minGapMs: number): Promise<boolean> {
    if (monotonicMs() - this.lastMaintenance < minGapMs) return false;
    await this.maintain();
    return true;
  }

  private maintain(): Promise<RecoverResult | undefined> {
    this.maintaining ??= this.recover().finally(() => (this.maintaining = undefined));
    return this.maintaining;
  }

  private async recover(): Promise<RecoverResult | undefined> {
    this.lastMaintenance = monotonicMs();
    const o = this.options;
    const reap = this.contact.reapOptions();
    if (!reap.reapDead && !this.reportedOutOfContact) {
      trace(this.log, { inContactMs: this.contact.inContactMs, leaseMs: o.leaseMs }, 'not in contact with the store for a full lease yet: declaring no worker dead');
    }
    this.reportedOutOfContact = !reap.reapDead;
    try {
      // A lease one heartbeat late is not yet dead: a stalled store or a starved thread renews late.
      const result = await this.store.recover({ maxDeaths: o.maxDeaths, promoteLimit: o.promoteLimit, expiredForMs: o.heartbeatMs, ...reap });
      if (result.deadWorkers.length > 0) {
        this.log.warn({ deadWorkers: result.deadWorkers, requeued: result.requeued, poisoned: result.poisoned }, 'recovered the jobs of dead workers');
      }
      this.handlers.recovered?.(result);
      if (result.promoted > 0) trace(this.log, { promoted: result.promoted }, 'promoted scheduled jobs');
      return result;
    } catch (error) {
      this.log.warn({ err: error }, 'maintenance failed; will try again');
      return undefined;
    }
  }

  /** Stops the heartbeats (the lease thread ends) and maintenance; call before unregistering. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.dueTimer);
    await this.beats.stop();
    await this.maintaining;
  }
}
