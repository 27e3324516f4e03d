// A worker's background duties, on timers beside the fetch loop: the heartbeat (keeps its
// registration alive, reports what it runs, learns of pause-all and of having been declared
// dead) and maintenance (recover(): hand back dead workers' jobs, promote due scheduled jobs).
// Both timers are unref'd and serialized: a slow store never stacks calls up.

import type { Control, RecoverResult, Store, WorkerStatus } from '../storage/types.ts';
import type { Logger } from '../log.ts';
import { trace } from '../log.ts';

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
  onControl(control: Control): Promise<void> | void;
}

export class Upkeep {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;
  private lastMaintenance = 0;
  private stopped = true;

  constructor(
    private readonly store: Store,
    private readonly options: UpkeepOptions,
    private readonly handlers: UpkeepHandlers,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.scheduleHeartbeat();
    this.scheduleMaintenance(0);
  }

  private scheduleHeartbeat(): void {
    if (this.stopped) return;
    this.heartbeatTimer = setTimeout(async () => {
      try {
        await this.handlers.onControl(await this.store.heartbeat(this.handlers.workerId(), this.handlers.status()));
      } catch (error) {
        this.log.warn({ err: error }, 'heartbeat failed; will try again');
      }
      this.scheduleHeartbeat();
    }, this.options.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  private scheduleMaintenance(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.maintenanceTimer);
    this.maintenanceTimer = setTimeout(async () => {
      const result = await this.maintain();
      const untilDue = result?.nextDueAt === undefined ? Infinity : result.nextDueAt - Date.now();
      this.scheduleMaintenance(Math.max(0, Math.min(this.options.maintenanceMs, untilDue)));
    }, delayMs);
    this.maintenanceTimer.unref();
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
    clearTimeout(this.heartbeatTimer);
    clearTimeout(this.maintenanceTimer);
  }
}
