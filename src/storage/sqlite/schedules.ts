// The SQLite side of recurring schedules (see ../schedule-types.ts): one row per schedule name in
// `schedules`, each change one BEGIN IMMEDIATE transaction, with the same rules as claim.lua,
// declare-schedules.lua and pause-schedule.lua on Redis. Lifecycle: made once per SqliteStore
// (Store.schedules()), shares its connection; statements prepared on first use.
// Invariant: every tick decision reads SQLite's clock (the nowMs statement) inside the transaction.

import type Database from 'better-sqlite3';
import type { ClaimResult, ClaimOutcome, ScheduleDeclaration, ScheduleState, ScheduleStore, TickClaim } from '../schedule-types.ts';
import { scheduleStateOf } from '../schedule-types.ts';
import { append } from './ops.ts';
import type { Statements } from './statements.ts';

interface Host {
  run<T>(what: string, fn: () => T): T;
  notify(): void;
}

type Row = Record<string, string | number | null>;

export class SqliteSchedules implements ScheduleStore {
  private readonly cache = new Map<string, Database.Statement>();
  private readonly tx;

  constructor(private readonly db: Database.Database, private readonly host: Host, private readonly st: Statements) {
    this.tx = {
      declare: db.transaction((schedules: readonly ScheduleDeclaration[]) => {
        const now = st.nowMs.get()!;
        const states = schedules.map((s) => {
          this.sql('INSERT INTO schedules (name, def, created, seen) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET def = excluded.def, seen = excluded.seen')
            .run(s.name, s.definition, now, now);
          return this.state(s.name)!;
        });
        return { states, storeNow: now };
      }),
      claim: db.transaction((c: TickClaim, mode: 'tick' | 'now'): ClaimResult => this.claimIn(c, mode)),
      pause: db.transaction((name: string, paused: boolean) => this.sql('UPDATE schedules SET paused = ? WHERE name = ?').run(paused ? 1 : 0, name).changes === 1),
    };
  }

  private sql(source: string): Database.Statement {
    let statement = this.cache.get(source);
    if (!statement) this.cache.set(source, (statement = this.db.prepare(source)));
    return statement;
  }

  private state(name: string): ScheduleState | undefined {
    const row = this.sql('SELECT * FROM schedules WHERE name = ?').get(name) as Row | undefined;
    return row && scheduleStateOf(name, row);
  }

  /** claim.lua's rules, inside the caller's transaction. */
  private claimIn(c: TickClaim, mode: 'tick' | 'now'): ClaimResult {
    const now = this.st.nowMs.get()!;
    this.sql('INSERT INTO schedules (name, created, seen) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET seen = excluded.seen').run(c.name, now, now);
    const row = this.sql('SELECT cursor, paused, job, job_queue FROM schedules WHERE name = ?').get(c.name) as Row;
    const cursor = row.cursor === null ? undefined : Number(row.cursor);
    const enqueue = (payload: string, tick: number) => {
      append(this.st, c.queue, [payload]);
      this.sql('UPDATE schedules SET run_tick = ?, run_at = ?, job = ?, job_queue = ? WHERE name = ?').run(tick, now, c.jobId, c.queue, c.name);
    };
    const result = (outcome: ClaimOutcome, at: number | undefined): ClaimResult => ({ outcome, storeNow: now, cursor: at });
    if (mode === 'now') {
      enqueue(c.payload, now);
      this.sql("UPDATE schedules SET outcome = 'run-now' WHERE name = ?").run(c.name);
      return result('enqueued', cursor);
    }
    if (c.tick > now) return result('early', cursor);
    if (cursor !== undefined && cursor >= c.tick) return result('taken', cursor);
    const late = now >= c.tick + c.onTimeMs;
    let outcome: ClaimOutcome;
    if (late && now > c.tick + c.catchUpMs) outcome = 'missed';
    else if (Number(row.paused) === 1) outcome = 'paused';
    else if (c.skipIfRunning && this.lastRunPending(row)) outcome = 'overlap';
    else {
      outcome = late ? 'caught-up' : 'enqueued';
      enqueue(late ? c.caughtUpPayload : c.payload, c.tick);
    }
    this.sql('UPDATE schedules SET cursor = ?, outcome = ? WHERE name = ?').run(c.tick, outcome, c.name);
    return result(outcome, c.tick);
  }

  /** The last run waits in its queue or is in flight: both are rows of `jobs` in that queue. */
  private lastRunPending(row: Row): boolean {
    if (row.job === null || row.job_queue === null) return false;
    return this.sql('SELECT 1 FROM jobs WHERE queue = ? AND instr(payload, ?) > 0 LIMIT 1').get(row.job_queue, `"id":"${row.job}"`) !== undefined;
  }

  async declare(schedules: readonly ScheduleDeclaration[]): Promise<{ states: ScheduleState[]; storeNow: number }> {
    return this.host.run('declare schedules', () => this.tx.declare.immediate(schedules));
  }

  async claim(c: TickClaim): Promise<ClaimResult> {
    const result = this.host.run('claim', () => this.tx.claim.immediate(c, 'tick'));
    if (result.outcome === 'enqueued' || result.outcome === 'caught-up') this.host.notify();
    return result;
  }

  async runNow(name: string, queue: string, payload: string, jobId: string): Promise<void> {
    const claim: TickClaim = { name, queue, payload, caughtUpPayload: payload, jobId, tick: 0, onTimeMs: 0, catchUpMs: 0, skipIfRunning: false };
    this.host.run('run schedule', () => this.tx.claim.immediate(claim, 'now'));
    this.host.notify();
  }

  async setPaused(name: string, paused: boolean): Promise<boolean> {
    return this.host.run('pause schedule', () => this.tx.pause.immediate(name, paused));
  }

  async list(): Promise<ScheduleState[]> {
    return this.host.run('list schedules', () =>
      (this.sql('SELECT * FROM schedules ORDER BY name').all() as Row[]).map((row) => scheduleStateOf(String(row.name), row)),
    );
  }
}
