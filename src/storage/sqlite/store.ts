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
  SettleResult, Store, StoreSpec, WorkerRegistration, WorkerStatus,
} from '../types.ts';
import { resqueFailedAt, resqueIso, resqueTimeToS, resqueWorkingOn } from '../resque-format.ts';
import { plainIdAllowed, suffixedInstanceId } from '../identity.ts';
import { defaults } from '../../defaults.ts';
import { StoreError } from '../../errors.ts';
import { openDatabase, toStoreError, type OpenOptions } from './connection.ts';
import { prepareStatements, type Statements } from './statements.ts';
import * as ops from './ops.ts';
import { WakeHub } from './wake.ts';
import { waitForWork, type WakeMark } from './wait.ts';
import { SqliteAdmin } from './admin.ts';
import { SqliteSchedules } from './schedules.ts';
import { EnqueueBatch } from '../enqueue-batch.ts';

/** Single enqueues shared by one transaction at most (see enqueue-batch.ts). */
const MAX_ENQUEUE_BATCH = 1_000;
import type { ScheduleStore } from '../schedule-types.ts';
import { countStoreError } from '../incidents.ts';

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
  readonly spec: StoreSpec;
  private readonly st: Statements;
  private readonly hub: WakeHub;
  /** Per worker: the queues' version its last reserve saw (see wake.ts). */
  private readonly marks = new Map<string, WakeMark>();
  private closed = false;
  private adminStore: SqliteAdmin | undefined;
  private scheduleStore: SqliteSchedules | undefined;
  private readonly tx;
  /** Single enqueues of one event-loop turn, written as one transaction (one commit, one wake-up). */
  readonly enqueueBatch = new EnqueueBatch({ write: async (jobs) => this.pushNow(jobs), maxBatch: MAX_ENQUEUE_BATCH, maxInFlight: Infinity });

  /** The connection, shared with the event transport (../events.ts) rather than a second one. */
  get database(): Database.Database {
    return this.db;
  }

  static open(options: SqliteStoreOptions): SqliteStore {
    const path = resolve(options.path);
    return new SqliteStore(openDatabase({ path, busyTimeoutMs: options.busyTimeoutMs }), { ...options, path });
  }

  private constructor(private readonly db: Database.Database, private readonly options: OpenOptions) {
    this.path = options.path;
    this.description = `sqlite:${options.path}`;
    this.spec = { url: `sqlite:${options.path}`, commandTimeoutMs: options.busyTimeoutMs };
    const st = (this.st = prepareStatements(db));
    this.hub = WakeHub.acquire(options.path);
    this.tx = {
      push: db.transaction((jobs: readonly QueuedJob[]) => ops.push(st, jobs)),
      schedule: db.transaction((jobs: readonly ScheduledJob[]) => {
        const now = st.nowMs.get()!;
        const clientNow = Date.now();
        for (const job of jobs) st.scheduleInsert.run(ops.dueOnStoreClock(job.runAt, clientNow, now), job.queue, job.payload);
      }),
      // The plain Resque id unless a registered instance holds it (see ../identity.ts).
      register: db.transaction((worker: WorkerRegistration, iso: string): string => {
        const instance = plainIdAllowed(worker.id) && st.workerKnown.get(worker.id) === undefined ? worker.id : suffixedInstanceId(worker.id);
        st.workerInsert.run(instance, worker.id, resqueTimeToS(worker.startedAt), iso, st.nowMs.get()!, Math.floor(worker.leaseMs ?? defaults.deadAfterMs), worker.concurrency ?? null);
        return instance;
      }),
      reserve: db.transaction((workerId: string, queues: readonly string[] | '*', max: number, startNow: number) => {
        const names = queues === '*' ? st.queueNames.all() : queues;
        const jobs = ops.reserve(st, workerId, names, max, startNow);
        return { jobs, version: this.version(queues) };
      }),
      settle: db.transaction((workerId: string, outcomes: readonly Outcome[], startedUpTo: number) => ops.settle(st, workerId, outcomes, st.nowMs.get()!, startedUpTo)),
      release: db.transaction((workerId: string, tokens: readonly string[]) => ops.release(st, workerId, tokens)),
      heartbeat: db.transaction((workerId: string, iso: string, working: string | null, startedUpTo: number, queues: readonly string[] | '*' | undefined): Control => {
        const now = st.nowMs.get()!;
        const paused = ops.isPaused(st);
        const known = st.workerBeat.run(now, iso, working, startedUpTo, workerId).changes === 1;
        const next = st.scheduledNext.get();
        const maintenanceDue = (next != null && next <= now) || st.anyWorkerDead.get(now) !== undefined;
        const workWaiting = queues !== undefined && (queues === '*' ? st.readyAny.get() : st.readyIn.get(JSON.stringify(queues))) !== undefined;
        return { known, paused, maintenanceDue, nextDueInMs: next == null ? undefined : Math.max(0, next - now), workWaiting, storeNow: now };
      }),
      recover: db.transaction((o: RecoverOptions): RecoverResult => {
        const now = st.nowMs.get()!;
        // Past the contact bound the caller's last heartbeat is too old to vouch for the others (see RecoverOptions).
        const inContact = o.contactAt === undefined || now <= o.contactAt + (o.contactWithinMs ?? 0);
        const deadWorkers = o.reapDead && inContact ? st.workersDead.all(now - Math.floor(o.expiredForMs ?? 0)) : [];
        const reaped = ops.reap(st, deadWorkers, o.maxDeaths, resqueFailedAt(), now);
        return { deadWorkers, ...reaped, ...ops.promote(st, now, o.promoteLimit) };
      }),
      unregister: db.transaction((workerId: string) => ops.reap(st, [workerId], undefined, resqueFailedAt(), st.nowMs.get()!)),
    };
  }

  /** Runs `fn`, turning SQLite errors into StoreErrors that name the file. */
  run<T>(what: string, fn: () => T): T {
    if (this.closed) throw new StoreError(`SQLite ${what} failed: the store on ${this.path} is closed`);
    try {
      return fn();
    } catch (error) {
      countStoreError('sqlite');
      throw toStoreError(error, this.path, what, this.options.busyTimeoutMs);
    }
  }

  /** Grows whenever a job enters one of `queues`; read inside reserve and by waits. */
  version(queues: readonly string[] | '*'): number {
    return queues === '*' ? this.st.versionAll.get()! : this.st.versionOf.get(JSON.stringify(queues))!;
  }

  /** In how many ms (SQLite's clock) the earliest scheduled job that is not yet due falls due. */
  nextDueInMs(): number | undefined {
    const now = this.st.nowMs.get()!;
    const next = this.st.scheduledNextAfter.get(now);
    return next == null ? undefined : next - now;
  }

  async push(jobs: readonly QueuedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    // The common single enqueue: shares its transaction with the others of this turn, if any.
    if (jobs.length === 1) return this.enqueueBatch.add(jobs[0]!);
    // Single enqueues still pending go first, so one caller's jobs keep their order.
    this.enqueueBatch.flushNow();
    this.pushNow(jobs);
  }

  private pushNow(jobs: readonly QueuedJob[]): void {
    this.run('push', () => this.tx.push.immediate(jobs));
    this.hub.notify();
  }

  async schedule(jobs: readonly ScheduledJob[]): Promise<void> {
    if (jobs.length === 0) return;
    this.run('schedule', () => this.tx.schedule.immediate(jobs));
    this.hub.notify();
  }

  async register(worker: WorkerRegistration): Promise<string> {
    return this.run('register', () => this.tx.register.immediate(worker, resqueIso(new Date())));
  }

  async reserve(workerId: string, queues: readonly string[] | '*', max: number, startNow = 0): Promise<ReservedJob[]> {
    const { jobs, version } = this.run('reserve', () => this.tx.reserve.immediate(workerId, queues, Math.max(0, Math.floor(max)), startNow));
    this.marks.set(workerId, { key: queueKey(queues), version });
    return jobs;
  }

  async settle(workerId: string, outcomes: readonly Outcome[], startedUpTo = 0): Promise<SettleResult> {
    if (outcomes.length === 0) return { settled: 0 };
    const { applied, retried } = this.run('settle', () => this.tx.settle.immediate(workerId, outcomes, Math.floor(startedUpTo)));
    if (retried) this.hub.notify();
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
    return this.run('heartbeat', () => this.tx.heartbeat.immediate(workerId, resqueIso(new Date()), working, Math.floor(status.startedUpTo ?? 0), checks.queues));
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

  schedules(): ScheduleStore {
    this.scheduleStore ??= new SqliteSchedules(this.db, this, this.st);
    return this.scheduleStore;
  }

  checkpoint(): void {
    if (this.closed) return;
    try {
      // PASSIVE: copies what no reader still needs and returns; never waits for a lock.
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or failing now: the next call, or a connection's automatic checkpoint, does it.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.enqueueBatch.flushNow();
    this.closed = true;
    this.hub.release(this);
    this.db.close();
  }
}

function queueKey(queues: readonly string[] | '*'): string {
  return queues === '*' ? '*' : queues.join('\n');
}
