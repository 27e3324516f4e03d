// The SQLite store: the embedded default, one file shared by any number of worker and producer
// processes on one machine. Same contract and semantics as the Redis store; each Redis script
// is one BEGIN IMMEDIATE transaction here (ops.ts). Lifecycle: SqliteStore.open() opens,
// migrates and prepares; close() resolves pending waits and closes the connection.
// Invariants: every method is one transaction however many jobs it moves; better-sqlite3 is
// synchronous, so a call blocks the event loop for its transaction (a batch: ~milliseconds),
// and, when another process holds the write lock, for up to busyTimeoutMs before failing.

import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type {
  AdminStore, Control, HeartbeatChecks, Outcome, QueuedJob, RecoverOptions, RecoverResult, ReservedJob, ScheduledJob,
  SettleResult, Store, WorkerRegistration, WorkerStatus,
} from '../types.ts';
import { resqueFailedAt, resqueIso, resqueTimeToS, resqueWorkingOn } from '../resque-format.ts';
import { defaults } from '../../defaults.ts';
import { StoreError } from '../../errors.ts';
import { openDatabase, toStoreError, type OpenOptions } from './connection.ts';
import { prepareStatements, type Statements } from './statements.ts';
import * as ops from './ops.ts';
import { WakeHub } from './wake.ts';
import { waitForWork, type WakeMark } from './wait.ts';
import { SqliteAdmin } from './admin.ts';

export interface SqliteStoreOptions {
  /** The database file; created, with its directory, on first use. */
  readonly path: string;
  /** How long a write waits for another process's transaction before failing with StoreError. */
  readonly busyTimeoutMs: number;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly description: string;
  readonly path: string;
  private readonly st: Statements;
  private readonly hub: WakeHub;
  /** Per worker: the queues' version its last reserve saw (see wake.ts). */
  private readonly marks = new Map<string, WakeMark>();
  private closed = false;
  private adminStore: SqliteAdmin | undefined;
  private readonly tx;

  static open(options: SqliteStoreOptions): SqliteStore {
    const path = resolve(options.path);
    return new SqliteStore(openDatabase({ path, busyTimeoutMs: options.busyTimeoutMs }), { ...options, path });
  }

  private constructor(private readonly db: Database.Database, private readonly options: OpenOptions) {
    this.path = options.path;
    this.description = `sqlite:${options.path}`;
    const st = (this.st = prepareStatements(db));
    this.hub = WakeHub.acquire(options.path);
    this.tx = {
      push: db.transaction((jobs: readonly QueuedJob[]) => ops.push(st, jobs)),
      schedule: db.transaction((jobs: readonly ScheduledJob[]) => {
        for (const job of jobs) st.scheduleInsert.run(Math.floor(job.runAt), job.queue, job.payload);
      }),
      reserve: db.transaction((workerId: string, queues: readonly string[] | '*', max: number) => {
        const names = queues === '*' ? st.queueNames.all() : queues;
        const jobs = ops.reserve(st, workerId, names, max);
        return { jobs, version: this.version(queues) };
      }),
      settle: db.transaction((workerId: string, outcomes: readonly Outcome[]) => ops.settle(st, workerId, outcomes)),
      release: db.transaction((workerId: string, tokens: readonly string[]) => ops.release(st, workerId, tokens)),
      heartbeat: db.transaction((workerId: string, now: Date, working: string | null, deadAfterMs: number, queues: readonly string[] | '*' | undefined): Control => {
        const paused = ops.isPaused(st);
        const known = st.workerBeat.run(now.getTime(), resqueIso(now), working, workerId).changes === 1;
        const nextDueAt = st.scheduledNext.get() ?? undefined;
        const maintenanceDue = (nextDueAt !== undefined && nextDueAt <= now.getTime()) || st.anyWorkerDead.get(now.getTime() - deadAfterMs) !== undefined;
        const workWaiting = queues !== undefined && (queues === '*' ? st.readyAny.get() : st.readyIn.get(JSON.stringify(queues))) !== undefined;
        return { known, paused, maintenanceDue, nextDueAt, workWaiting };
      }),
      recover: db.transaction((o: RecoverOptions): RecoverResult => {
        const deadWorkers = st.workersDead.all(o.now - o.deadAfterMs);
        const reaped = ops.reap(st, deadWorkers, o.maxDeaths, resqueFailedAt());
        return { deadWorkers, ...reaped, ...ops.promote(st, o.now, o.promoteLimit) };
      }),
      unregister: db.transaction((workerId: string) => ops.reap(st, [workerId], undefined, resqueFailedAt())),
    };
  }

  /** Runs `fn`, turning SQLite errors into StoreErrors that name the file. */
  run<T>(what: string, fn: () => T): T {
    if (this.closed) throw new StoreError(`SQLite ${what} failed: the store on ${this.path} is closed`);
    try {
      return fn();
    } catch (error) {
      throw toStoreError(error, this.path, what, this.options.busyTimeoutMs);
    }
  }

  /** Grows whenever a job enters one of `queues`; read inside reserve and by waits. */
  version(queues: readonly string[] | '*'): number {
    return queues === '*' ? this.st.versionAll.get()! : this.st.versionOf.get(JSON.stringify(queues))!;
  }

  nextDueAfter(now: number): number | undefined {
    return this.st.scheduledNextAfter.get(now) ?? undefined;
  }

  async push(jobs: readonly QueuedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    this.run('push', () => this.tx.push.immediate(jobs));
    this.hub.notify();
  }

  async schedule(jobs: readonly ScheduledJob[]): Promise<void> {
    if (jobs.length === 0) return;
    this.run('schedule', () => this.tx.schedule.immediate(jobs));
    this.hub.notify();
  }

  async register(worker: WorkerRegistration): Promise<void> {
    const now = new Date();
    this.run('register', () => this.st.workerUpsert.run(worker.id, resqueTimeToS(worker.startedAt), resqueIso(now), now.getTime(), worker.concurrency ?? null));
  }

  async reserve(workerId: string, queues: readonly string[] | '*', max: number): Promise<ReservedJob[]> {
    const { jobs, version } = this.run('reserve', () => this.tx.reserve.immediate(workerId, queues, Math.max(0, Math.floor(max))));
    this.marks.set(workerId, { key: queueKey(queues), version });
    return jobs;
  }

  async settle(workerId: string, outcomes: readonly Outcome[]): Promise<SettleResult> {
    if (outcomes.length === 0) return { settled: 0 };
    const { applied, earliestRetry } = this.run('settle', () => this.tx.settle.immediate(workerId, outcomes));
    if (earliestRetry !== undefined) this.hub.notify();
    return { settled: applied };
  }

  async release(workerId: string, tokens: readonly string[]): Promise<number> {
    if (tokens.length === 0) return 0;
    const released = this.run('release', () => this.tx.release.immediate(workerId, tokens));
    if (released > 0) this.hub.notify();
    return released;
  }

  async heartbeat(workerId: string, status: WorkerStatus, checks: HeartbeatChecks = {}): Promise<Control> {
    const w = status.workingOn;
    const working = w ? resqueWorkingOn(w.queue, w.payload, w.runAt) : null;
    return this.run('heartbeat', () => this.tx.heartbeat.immediate(workerId, new Date(), working, checks.deadAfterMs ?? defaults.deadAfterMs, checks.queues));
  }

  async recover(options: RecoverOptions): Promise<RecoverResult> {
    const result = this.run('recover', () => this.tx.recover.immediate(options));
    if (result.requeued > 0 || result.promoted > 0) this.hub.notify();
    return result;
  }

  async unregister(workerId: string): Promise<void> {
    const { requeued } = this.run('unregister', () => this.tx.unregister.immediate(workerId));
    this.marks.delete(workerId);
    if (requeued > 0) this.hub.notify();
  }

  waitForWork(workerId: string, queues: readonly string[] | '*', timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
    const mark = this.marks.get(workerId);
    return waitForWork(this, this.hub, mark?.key === queueKey(queues) ? mark : undefined, queues, timeoutMs, signal);
  }

  /** Called by the admin side after it adds work (retrying a failure). */
  notify(): void {
    this.hub.notify();
  }

  admin(): AdminStore {
    this.adminStore ??= new SqliteAdmin(this.db, this, this.st);
    return this.adminStore;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.release(this);
    this.db.close();
  }
}

function queueKey(queues: readonly string[] | '*'): string {
  return queues === '*' ? '*' : queues.join('\n');
}
