// Runs a worker's schedules: for each, the next tick after the store's cursor, a timer armed for
// it by the store's clock, and at that time one claim (store.schedules().claim), which enqueues
// the run if no other process took the tick. No leader: every process that knows a schedule
// does this, and the store's claim lets one of them win each tick. Idle cost: one store call per
// tick and schedule, none in between (no polling).
// Lifecycle: start() declares the schedules (recording their definitions, learning the cursors
// and the store's clock), then arms; stop() clears the timer and waits for a claim in flight.
// Invariants: ticks are offered in order per schedule, each until the store answers something
// other than early (or errors: then again after a pause); the local clock only sets timers, the
// store decides what is due.

import { randomUUID } from 'node:crypto';
import { defaults } from '../defaults.ts';
import { encodeScheduledRun } from '../job/payload.ts';
import type { Logger } from '../log.ts';
import { trace } from '../log.ts';
import type { ClaimResult, ScheduleStore } from '../storage/schedule-types.ts';
import type { ScheduleDefinition } from './define.ts';
import { onTimeMs } from './ticks.ts';

const RETRY_MS = 1_000;

interface Slot {
  readonly def: ScheduleDefinition;
  /** The next tick to offer (epoch ms), or undefined when the cron never matches again. */
  next: number | undefined;
  /** Store time before which nothing is offered: the first declaration (nothing older is caught up). */
  floor: number;
}

export class Scheduler {
  private readonly slots: Slot[] = [];
  /** Store clock minus local clock, learned from every reply. */
  private offsetMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Told of every claim the store answered (metrics count runs and missed ticks). */
  observer: ((schedule: string, outcome: ClaimResult['outcome']) => void) | undefined;

  constructor(private readonly store: ScheduleStore, private readonly schedules: readonly ScheduleDefinition[], private readonly log: Logger) {}

  async start(): Promise<void> {
    if (this.schedules.length === 0) return;
    this.stopped = false;
    const sentAt = Date.now();
    const { states, storeNow } = await this.store.declare(this.schedules.map((s) => ({ name: s.name, definition: s.definitionJson })));
    this.learn(storeNow, sentAt);
    for (const def of this.schedules) {
      const state = states.find((s) => s.name === def.name);
      const floor = state?.createdAt ?? storeNow;
      this.slots.push({ def, floor, next: this.firstAfter(def, state?.cursor, floor, storeNow) });
    }
    this.log.info({ schedules: this.schedules.map((s) => s.name) }, 'scheduler started');
    this.arm();
  }

  /** The store's clock now, as this process estimates it. */
  private storeNow(): number {
    return Date.now() + this.offsetMs;
  }

  private learn(storeNow: number, sentAt: number): void {
    // The reply's time is somewhere in the round trip: take its middle.
    this.offsetMs = storeNow - (sentAt + Date.now()) / 2;
  }

  /** The first tick worth offering: after the cursor, the first declaration, and what is too old to run. */
  private firstAfter(def: ScheduleDefinition, cursor: number | undefined, floor: number, storeNow: number): number | undefined {
    const lookback = Math.max(def.catchUpMs, defaults.scheduleOnTimeMs);
    return def.ticks.next(Math.max(cursor ?? -Infinity, floor - 1, storeNow - lookback));
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    let soonest: number | undefined;
    for (const slot of this.slots) if (slot.next !== undefined && (soonest === undefined || slot.next < soonest)) soonest = slot.next;
    if (soonest === undefined) return;
    const delay = Math.min(Math.max(0, soonest - this.storeNow()), defaults.scheduleMaxSleepMs);
    this.timer = setTimeout(() => {
      this.running = this.fire().finally(() => {
        this.running = undefined;
        this.arm();
      });
    }, delay);
    this.timer.unref();
  }

  /** Offers every tick due by the local estimate; the store may still say early. */
  private async fire(): Promise<void> {
    const now = this.storeNow();
    await Promise.all(this.slots.filter((slot) => slot.next !== undefined && slot.next <= now).map((slot) => this.offer(slot)));
  }

  private async offer(slot: Slot): Promise<void> {
    const { def } = slot;
    const tick = slot.next!;
    const jobId = randomUUID();
    const payload = (caughtUp: boolean) =>
      encodeScheduledRun(def.job.name, def.argsJson, jobId, def.job.queue, Date.now(), { name: def.name, tick, caughtUp });
    let result: ClaimResult;
    const sentAt = Date.now();
    try {
      result = await this.store.claim({
        name: def.name, tick, onTimeMs: onTimeMs(def.ticks, tick), catchUpMs: def.catchUpMs, skipIfRunning: !def.overlap,
        queue: def.job.queue, jobId, payload: payload(false), caughtUpPayload: payload(true),
      });
    } catch (error) {
      // The tick is not lost: the next offer is judged by the store's clock when it answers.
      this.log.warn({ err: error, schedule: def.name, tick: new Date(tick).toISOString() }, 'could not claim a schedule tick; will try again');
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      return;
    }
    this.learn(result.storeNow, sentAt);
    this.observer?.(def.name, result.outcome);
    const fields = { schedule: def.name, tick: new Date(tick).toISOString() };
    switch (result.outcome) {
      case 'early':
        return; // armed again by the corrected clock
      case 'enqueued':
      case 'caught-up':
        trace(this.log, { ...fields, id: jobId, caughtUp: result.outcome === 'caught-up' }, 'schedule tick enqueued');
        break;
      case 'missed':
      case 'overlap':
        this.log.info(fields, result.outcome === 'missed' ? 'schedule tick missed (too late, no catch-up): skipped' : 'schedule tick skipped: the previous run still waits or runs');
        break;
      default:
        trace(this.log, { ...fields, outcome: result.outcome }, 'schedule tick not enqueued here');
    }
    slot.next = this.firstAfter(def, Math.max(tick, result.cursor ?? tick), slot.floor, result.storeNow);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
