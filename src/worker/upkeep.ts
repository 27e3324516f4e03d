// A worker's background duties, on timers beside the fetch loop: the heartbeat (keeps its
// registration alive, reports what it runs, learns of pause-all and of having been declared
// dead) and maintenance (recover(): hand back dead workers' jobs, promote due scheduled jobs).
// One unref'd timer ticks every heartbeat interval while the worker holds jobs, and at half of
// deadAfter (at most twice the interval) while it holds none: a worker with nothing in flight
// loses nothing if it is declared dead, and each wake-up of an idle process costs CPU. The
// moment it takes jobs, hurry() brings the next tick back to the busy pace. The heartbeat also
// tells whether maintenance has work (a dead worker, a due scheduled job), so maintenance runs
// only then; a second timer brings promotion forward when a scheduled job falls due between
// ticks. A tick waits for its calls before arming the next, so a slow store never stacks calls up.

import type { Control, RecoverResult, Store, WorkerStatus } from '../storage/types.ts';
import type { Logger } from '../log.ts';
import { trace } from '../log.ts';

const FIRST_TICK_MS = 50;

export interface UpkeepOptions {
  heartbeatMs: number;
  maintenanceMs: number;
  deadAfterMs: number;
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
}

export class Upkeep {
  private tickTimer: NodeJS.Timeout | undefined;
  private dueTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;
  private lastMaintenance = 0;
  private stopped = true;
  /** When the current tick started (0 before the first), when the armed one fires, and whether one runs now. */
  private lastTickAt = 0;
  private nextTickAt = 0;
  private ticking = false;

  constructor(
    private readonly store: Store,
    private readonly options: UpkeepOptions,
    private readonly handlers: UpkeepHandlers,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    // Soon, not at once: the worker's first reserve goes out now and should not queue behind us.
    this.scheduleTick(FIRST_TICK_MS);
  }

  /** Each tick sends the heartbeat, then maintenance if the heartbeat says it has work. */
  private scheduleTick(delayMs: number): void {
    if (this.stopped) return;
    this.nextTickAt = Date.now() + delayMs;
    this.tickTimer = setTimeout(async () => {
      this.ticking = true;
      this.lastTickAt = Date.now();
      const control = await this.beat();
      const maintenanceDue = control?.maintenanceDue !== false && Date.now() - this.lastMaintenance >= this.options.maintenanceMs - this.options.heartbeatMs / 2;
      const result = maintenanceDue ? await this.maintain() : undefined;
      const nextDueAt = result ? result.nextDueAt : control?.nextDueAt;
      if (nextDueAt !== undefined) this.scheduleDue(nextDueAt);
      this.ticking = false;
      this.scheduleTick(this.handlers.holdsJobs() ? this.options.heartbeatMs : this.idleBeatMs);
    }, delayMs);
    this.tickTimer.unref();
  }

  /** The heartbeat interval of a worker holding no job. */
  get idleBeatMs(): number {
    const o = this.options;
    return Math.max(o.heartbeatMs, Math.min(2 * o.heartbeatMs, o.deadAfterMs / 2));
  }

  /** The worker took jobs: a tick armed at the idle pace comes forward to the busy one. */
  hurry(): void {
    if (this.stopped || this.ticking || this.lastTickAt === 0) return;
    const busyAt = this.lastTickAt + this.options.heartbeatMs;
    if (this.nextTickAt <= busyAt) return;
    clearTimeout(this.tickTimer);
    this.scheduleTick(Math.max(0, busyAt - Date.now()));
  }

  /** The store's answer, or undefined when the heartbeat failed (maintenance then runs anyway). */
  private async beat(): Promise<Control | undefined> {
    try {
      const control = await this.store.heartbeat(this.handlers.workerId(), this.handlers.status(), { deadAfterMs: this.options.deadAfterMs, queues: this.handlers.queues() });
      await this.handlers.onControl(control);
      return control;
    } catch (error) {
      this.log.warn({ err: error }, 'heartbeat failed; will try again');
      return undefined;
    }
  }

  /** A scheduled job falls due before the next tick: promote it then, not up to a tick late. */
  private scheduleDue(dueAt: number): void {
    const delayMs = Math.max(0, dueAt - Date.now());
    if (this.stopped || delayMs >= this.options.heartbeatMs) return;
    clearTimeout(this.dueTimer);
    this.dueTimer = setTimeout(async () => {
      const result = await this.maintain();
      if (result?.nextDueAt !== undefined) this.scheduleDue(result.nextDueAt);
    }, delayMs);
    this.dueTimer.unref();
  }

  /** Runs maintenance unless it ran within `minGapMs`; true if it ran. An idle worker calls this when it wakes. */
  async maintainIfStale(minGapMs: number): Promise<boolean> {
    if (Date.now() - this.lastMaintenance < minGapMs) return false;
    await this.maintain();
    return true;
  }

  private async maintain(): Promise<RecoverResult | undefined> {
    if (this.maintaining) {
      await this.maintaining;
      return undefined;
    }
    let result: RecoverResult | undefined;
    this.maintaining = (async () => {
      this.lastMaintenance = Date.now();
      try {
        const o = this.options;
        result = await this.store.recover({ now: Date.now(), deadAfterMs: o.deadAfterMs, maxDeaths: o.maxDeaths, promoteLimit: o.promoteLimit });
        if (result.deadWorkers.length > 0) {
          this.log.warn({ deadWorkers: result.deadWorkers, requeued: result.requeued, poisoned: result.poisoned }, 'recovered the jobs of dead workers');
        }
        if (result.promoted > 0) trace(this.log, { promoted: result.promoted }, 'promoted scheduled jobs');
      } catch (error) {
        this.log.warn({ err: error }, 'maintenance failed; will try again');
      }
    })();
    await this.maintaining;
    this.maintaining = undefined;
    return result;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.tickTimer);
    clearTimeout(this.dueTimer);
  }
}
