// The hot-path SQL of the SQLite store, prepared once per connection (better-sqlite3 keeps
// the compiled statements, so each call is a bind + step, no parsing). Lifecycle: built right
// after the connection opens and migrates; dies with it. Invariant: only ops.ts runs these, and
// only inside a transaction it opened, so every multi-statement change is atomic.

import type Database from 'better-sqlite3';

type Db = Database.Database;
/** The part of better-sqlite3's Statement used here (its own type cannot be named in declarations). */
export interface Stmt<R = unknown> {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): R | undefined;
  all(...params: unknown[]): R[];
}

export interface JobRow { id: number; queue: string; payload: string }
export interface HeldRow extends JobRow { claim: number }
export interface ClaimedRow { claim: number; payload: string }

export function prepareStatements(db: Db) {
  const p = <R = unknown>(sql: string): Stmt<R> => db.prepare<unknown[], R>(sql);
  /** A statement that returns the first column's value instead of a row object. */
  const pluck = <R>(sql: string): Stmt<R> => db.prepare<unknown[], R>(sql).pluck();
  /** A worker's lease expiry: rows of an older errand carry no lease_ms and get its 5 s. */
  const expiry = 'alive_ms + COALESCE(lease_ms, 5000)';
  return {
    // SQLite's own clock, in epoch ms: one machine's clock for every process, and not a
    // client's Date (which a test, or a library, may have moved).
    nowMs: pluck<number>("SELECT CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"),
    queueEnsure: p('INSERT INTO queues (name) VALUES (?) ON CONFLICT DO NOTHING'),
    queueEnds: p<{ head: number; tail: number }>('SELECT head, tail FROM queues WHERE name = ?'),
    // `waiting` counts the queue's jobs not in flight: every statement that adds or takes ready
    // jobs moves it in the same transaction.
    queueSetHead: p('UPDATE queues SET head = ?, waiting = waiting + ? WHERE name = ?'),
    queueSetTail: p('UPDATE queues SET tail = ?, waiting = waiting + ? WHERE name = ?'),
    queueWaitingAdd: p('UPDATE queues SET waiting = waiting + ? WHERE name = ?'),
    queueWaiting: pluck<number>('SELECT waiting FROM queues WHERE name = ?'),
    // A claim that came up short took every ready job: the count is 0, exactly (this also mends
    // a count an older errand process, which does not keep it, left off).
    queueWaitingDrained: p('UPDATE queues SET waiting = 0 WHERE name = ? AND waiting <> 0'),
    queueNames: pluck<string>('SELECT name FROM queues ORDER BY name'),
    // Every job that enters a queue moves head down or tail up: this sum only grows (see wake.ts).
    // A paused queue counts for nothing, so pausing or resuming one with jobs in it moves the sum
    // and wakes the waiters (a resumed queue's jobs are new work to them).
    versionAll: pluck<number>('SELECT COALESCE(SUM(tail - head), 0) FROM queues WHERE name NOT IN (SELECT name FROM paused_queues)'),
    versionOf: pluck<number>('SELECT COALESCE(SUM(tail - head), 0) FROM queues WHERE name IN (SELECT value FROM json_each(?)) AND name NOT IN (SELECT name FROM paused_queues)'),
    pausedQueues: pluck<string>('SELECT name FROM paused_queues ORDER BY name'),

    jobInsert: p('INSERT INTO jobs (queue, pos, payload) VALUES (?, ?, ?)'),
    // Claims the first N ready jobs, numbering them claim+1.. in queue order. The inner query
    // walks the jobs_ready index from the head: cost grows with the batch, not the backlog.
    jobsClaim: p<ClaimedRow>(
      'UPDATE jobs SET worker = ?, claim = ? + r.n FROM (SELECT id, row_number() OVER (ORDER BY pos) AS n FROM ' +
      '(SELECT id, pos FROM jobs WHERE queue = ? AND worker IS NULL ORDER BY pos LIMIT ?)) AS r ' +
      'WHERE jobs.id = r.id RETURNING jobs.claim AS claim, jobs.payload AS payload',
    ),
    claimSeq: pluck<number>("SELECT value FROM counters WHERE key = 'claim'"),
    claimSeqSet: p("INSERT INTO counters (key, value) VALUES ('claim', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    workerKnown: pluck<number>('SELECT 1 FROM workers WHERE id = ?'),
    jobsSettleMany: p('DELETE FROM jobs WHERE worker = ? AND claim IN (SELECT value FROM json_each(?))'),
    jobSettle: p('DELETE FROM jobs WHERE worker = ? AND claim = ?'),
    jobHeld: p<JobRow>('SELECT id, queue, payload FROM jobs WHERE worker = ? AND claim = ?'),
    jobRequeue: p('UPDATE jobs SET worker = NULL, claim = NULL, pos = ? WHERE id = ?'),
    jobDelete: p('DELETE FROM jobs WHERE id = ?'),
    jobsOfWorker: p<HeldRow>('SELECT id, queue, payload, claim FROM jobs WHERE worker = ? ORDER BY claim'),

    scheduleInsert: p('INSERT INTO scheduled (run_at, queue, payload) VALUES (?, ?, ?)'),
    retryInsert: p('INSERT INTO scheduled (run_at, queue, payload, retry) VALUES (?, ?, ?, ?)'),
    scheduledDue: p<JobRow>('SELECT id, queue, payload FROM scheduled WHERE run_at <= ? ORDER BY run_at, id LIMIT ?'),
    scheduledDelete: p('DELETE FROM scheduled WHERE id = ?'),
    scheduledNext: pluck<number | null>('SELECT MIN(run_at) FROM scheduled'),
    scheduledNextAfter: pluck<number | null>('SELECT MIN(run_at) FROM scheduled WHERE run_at > ?'),

    failedPush: p('INSERT INTO failed (raw) VALUES (?)'),
    counterAdd: p('INSERT INTO counters (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value'),
    counterDelete: p('DELETE FROM counters WHERE key = ?'),
    paused: pluck<string>("SELECT value FROM meta WHERE key = 'pause-all-workers'"),

    workerInsert: p(
      'INSERT INTO workers (id, resque_id, started, heartbeat, alive_ms, lease_ms, concurrency, started_upto) VALUES (?, ?, ?, ?, ?, ?, ?, 0)',
    ),
    workerBeat: p('UPDATE workers SET alive_ms = ?, heartbeat = ?, working_on = ?, started_upto = MAX(started_upto, ?) WHERE id = ?'),
    workerStarted: p('UPDATE workers SET started_upto = MAX(started_upto, ?) WHERE id = ?'),
    workerStartedUpTo: pluck<number>('SELECT started_upto FROM workers WHERE id = ?'),
    workersDead: pluck<string>(`SELECT id FROM workers WHERE ${expiry} < ? ORDER BY alive_ms, id`),
    anyWorkerDead: pluck<number>(`SELECT 1 FROM workers WHERE ${expiry} < ? LIMIT 1`),
    // Any job waiting (the jobs_ready partial index answers at once, whatever the backlog).
    // One index seek per queue, so a paused queue's backlog is never scanned.
    readyAny: pluck<number>('SELECT 1 FROM queues q WHERE q.name NOT IN (SELECT name FROM paused_queues) AND EXISTS (SELECT 1 FROM jobs WHERE worker IS NULL AND queue = q.name) LIMIT 1'),
    readyIn: pluck<number>('SELECT 1 FROM json_each(?) j WHERE j.value NOT IN (SELECT name FROM paused_queues) AND EXISTS (SELECT 1 FROM jobs WHERE worker IS NULL AND queue = j.value) LIMIT 1'),
    workerDelete: p('DELETE FROM workers WHERE id = ?'),
    throughputAdd: p('INSERT INTO throughput (queue, minute, count) VALUES (?, ?, ?) ON CONFLICT (queue, minute) DO UPDATE SET count = count + excluded.count'),
    throughputExpire: p('DELETE FROM throughput WHERE minute < ?'),
    metricsAdd: p('INSERT INTO job_metrics (grain, slot, class, field, count) VALUES (?, ?, ?, ?, ?) ON CONFLICT (grain, slot, class, field) DO UPDATE SET count = count + excluded.count'),
    metricsExpire: p('DELETE FROM job_metrics WHERE grain = ? AND slot < ?'),
    metricsOf: p<{ slot: number; class: string; field: string; count: number }>('SELECT slot, class, field, count FROM job_metrics WHERE grain = ? AND slot BETWEEN ? AND ?'),
    throughputSince: pluck<number | null>('SELECT SUM(count) FROM throughput WHERE queue = ? AND minute >= ?'),

    deathCount: pluck<number>(
      'INSERT INTO deaths (hash, count, expires_at) VALUES (?, 1, ?) ' +
      'ON CONFLICT (hash) DO UPDATE SET count = count + 1, expires_at = excluded.expires_at RETURNING count',
    ),
    deathDelete: p('DELETE FROM deaths WHERE hash = ?'),
    deathsExpire: p('DELETE FROM deaths WHERE expires_at < ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
