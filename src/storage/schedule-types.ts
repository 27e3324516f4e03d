// The store's side of recurring schedules (Store.schedules()): one record per schedule name,
// kept in the store so that every worker process, on any machine, agrees on which ticks were
// taken. No leader: every process that knows a schedule claims its ticks, and the claim is one
// atomic step (a Lua script on Redis, one transaction on SQLite) that compares the schedule's
// cursor (the last tick handled), moves it, and enqueues the run. So two processes never both
// enqueue one tick, and a crash cannot fall between the claim and the enqueue.
//
// Invariants every store keeps:
// - "Due" is the store's clock (Redis TIME, SQLite's julianday('now')): a tick is due when
//   store-now >= its time. Clients compute tick times from the definition, never decide dueness.
// - The cursor only grows: a tick at or before it is never enqueued again, whatever definition
//   (old or edited) the claiming process has.
// - Paused, missed and overlapping ticks move the cursor too (they were handled: skipped).

/** One tick of a schedule, offered to the store by a process that knows the schedule. */
export interface TickClaim {
  readonly name: string;
  /** The tick's time, epoch ms (from the definition). */
  readonly tick: number;
  /** The tick is on time while store-now < tick + onTimeMs; later it is late. */
  readonly onTimeMs: number;
  /** A late tick still runs (caught up) while store-now <= tick + catchUpMs; else it is missed. */
  readonly catchUpMs: number;
  /** Skip the tick while the schedule's previous run waits in its queue or is in flight. */
  readonly skipIfRunning: boolean;
  readonly queue: string;
  readonly jobId: string;
  /** The payload of an on-time run, and of a caught-up one: the store picks. */
  readonly payload: string;
  readonly caughtUpPayload: string;
}

/**
 * What became of a claim: enqueued (on time) or caught-up (late, within catchUp); early (not due
 * by the store's clock: ask again later); taken (the cursor is at or past the tick: another
 * process handled it); missed (too late); paused; overlap (the previous run still waits or runs).
 */
export type ClaimOutcome = 'enqueued' | 'caught-up' | 'early' | 'taken' | 'missed' | 'paused' | 'overlap';

export interface ClaimResult {
  readonly outcome: ClaimOutcome;
  /** The store's clock when it decided (epoch ms). */
  readonly storeNow: number;
  /** The schedule's cursor after the call (the last tick handled), if any. */
  readonly cursor: number | undefined;
}

/** A schedule as a process declares it: `definition` is JSON the CLI reads (see scheduler/define.ts). */
export interface ScheduleDeclaration {
  readonly name: string;
  readonly definition: string;
}

export interface ScheduleState {
  readonly name: string;
  /** The definition JSON last declared by a process, if any did. */
  readonly definition: string | undefined;
  /** When a process first declared it (store time): nothing before is ever caught up. */
  readonly createdAt: number | undefined;
  readonly cursor: number | undefined;
  readonly paused: boolean;
  /** The tick of the last enqueued run, its store time, its job id, and the last claim's outcome. */
  readonly lastRunTick: number | undefined;
  readonly lastRunAt: number | undefined;
  readonly lastJobId: string | undefined;
  readonly lastOutcome: string | undefined;
  /** When a process last declared or claimed it (store time). */
  readonly seenAt: number | undefined;
}

export interface ScheduleStore {
  /** Records the definitions (first declaration sets createdAt) and returns the states, with the store's clock. */
  declare(schedules: readonly ScheduleDeclaration[]): Promise<{ states: ScheduleState[]; storeNow: number }>;
  claim(claim: TickClaim): Promise<ClaimResult>;
  /** Enqueues a run now, outside the ticks (`errand schedules run`); it counts as the last run. */
  runNow(name: string, queue: string, payload: string, jobId: string): Promise<void>;
  /** False when no process ever declared the schedule. */
  setPaused(name: string, paused: boolean): Promise<boolean>;
  list(): Promise<ScheduleState[]>;
}

/** The record in the store's flat form (Redis hash fields; SQLite columns), read back into a state. */
export function scheduleStateOf(name: string, f: Record<string, string | number | null | undefined>): ScheduleState {
  const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));
  const str = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));
  return {
    name,
    definition: str(f.def),
    createdAt: num(f.created),
    cursor: num(f.cursor),
    paused: String(f.paused ?? '0') === '1',
    lastRunTick: num(f.run_tick),
    lastRunAt: num(f.run_at),
    lastJobId: str(f.job),
    lastOutcome: str(f.outcome),
    seenAt: num(f.seen),
  };
}
