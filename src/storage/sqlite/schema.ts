// The SQLite store's schema and its migrations. The schema version is PRAGMA user_version;
// migrate() runs on every open, inside one BEGIN IMMEDIATE transaction, so two processes
// opening a fresh file at once cannot both apply a step, and a crash mid-migration leaves the
// previous version intact. Invariant: a migration, once released, is never edited; change the
// schema by appending a step.
//
// Layout (mirrors the Redis keys of ../redis/keys.ts):
//   queues     one row per queue ever pushed to (Resque's `queues` set). `head`/`tail` are the
//              smallest/largest positions handed out: a push takes tail+1, a put-back head-1,
//              so `tail - head` grows with every job that enters the queue (see wake.ts).
//   jobs       waiting jobs (worker IS NULL, ordered by pos) and in-flight jobs (worker = id).
//              Reserve flips `worker` in place and stamps `claim`, a number drawn from the
//              `claim` counter that is never reused: it is the token, and orders put-backs.
//   scheduled  delayed jobs and retries, by due time; `retry` marks a failed attempt's next one.
//   failed     Resque failure entries, oldest first (id order), stored as the exact strings given.
//   workers    one row per worker process instance (id = instance id, see ../identity.ts):
//              registration and its lease. `alive_ms` is its last renewal and `lease_ms` its
//              own lease length, both on SQLite's clock (julianday('now'), never a client's
//              Date.now()); the lease expired when alive_ms + lease_ms has passed.
//              `started_upto` is its started watermark: the jobs it held with a claim up to
//              it had started, so only those are blamed when it dies.
//   counters   stat:processed / stat:failed and their per-worker forms.
//   deaths     poison-job death counts keyed by SHA-1 of the payload, expiring like the Redis TTL.
//   meta       flags: pause-all-workers.
//   throughput attempts finished per queue and minute, kept ten minutes.
//   schedules  recurring schedules by name: definition, cursor, pause, last run.
//   event_listeners / event_log  job events across processes (events.ts), written only while
//              someone subscribes.

import type Database from 'better-sqlite3';

const MIGRATIONS: readonly string[] = [
  // 1: the initial layout.
  `
  CREATE TABLE queues (
    name TEXT PRIMARY KEY,
    head INTEGER NOT NULL DEFAULT 0,
    tail INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  -- AUTOINCREMENT: a token (row id) is never reused, so a zombie's late outcome cannot hit a new job.
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    pos INTEGER NOT NULL,
    worker TEXT,
    payload TEXT NOT NULL
  );
  -- Ready jobs in queue order: reserve reads the first N, O(batch) whatever the backlog.
  CREATE INDEX jobs_ready ON jobs (queue, pos) WHERE worker IS NULL;
  -- In-flight jobs per worker: reaping and the workers view.
  CREATE INDEX jobs_inflight ON jobs (worker) WHERE worker IS NOT NULL;
  CREATE TABLE scheduled (
    id INTEGER PRIMARY KEY,
    run_at INTEGER NOT NULL,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL
  );
  CREATE INDEX scheduled_due ON scheduled (run_at, id);
  CREATE TABLE failed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    raw TEXT NOT NULL
  );
  CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    started TEXT,
    heartbeat TEXT,
    alive_ms INTEGER NOT NULL,
    working_on TEXT
  ) WITHOUT ROWID;
  CREATE INDEX workers_alive ON workers (alive_ms);
  CREATE TABLE counters (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE deaths (
    hash TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: tokens become claim numbers (reservation order, never reused) instead of row ids, so a
  // pre-death token cannot settle the same job reserved again, and put-backs keep reservation order.
  `
  ALTER TABLE jobs ADD COLUMN claim INTEGER;
  UPDATE jobs SET claim = id WHERE worker IS NOT NULL;
  INSERT INTO counters (key, value) SELECT 'claim', COALESCE(MAX(id), 0) FROM jobs WHERE true
    ON CONFLICT (key) DO NOTHING;
  DROP INDEX jobs_inflight;
  CREATE INDEX jobs_inflight ON jobs (worker, claim) WHERE worker IS NOT NULL;
  `,
  // 3: a worker's concurrency, so its death blames only the jobs it was running (see ops.reap).
  `
  ALTER TABLE workers ADD COLUMN concurrency INTEGER;
  `,
  // 4: attempts finished per queue and minute, for recent throughput in stats (see ../throughput.ts).
  `
  CREATE TABLE throughput (
    queue TEXT NOT NULL,
    minute INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (queue, minute)
  ) WITHOUT ROWID;
  `,
  // 5: leases on the store's clock, per worker; the started watermark for poison blame. A row
  // written by an older errand has no lease_ms and is read with the old 5 s default.
  `
  ALTER TABLE workers ADD COLUMN resque_id TEXT;
  ALTER TABLE workers ADD COLUMN lease_ms INTEGER;
  ALTER TABLE workers ADD COLUMN started_upto INTEGER NOT NULL DEFAULT 0;
  `,
  // 6: recurring schedules, one row per name (see schedules.ts): the cursor (last tick handled,
  // so a tick never fires twice), pause, and the last run (its job id, for overlap: false).
  `
  CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    def TEXT,
    created INTEGER,
    cursor INTEGER,
    paused INTEGER NOT NULL DEFAULT 0,
    run_tick INTEGER,
    run_at INTEGER,
    job TEXT,
    job_queue TEXT,
    outcome TEXT,
    seen INTEGER
  ) WITHOUT ROWID;
  `,
  // 7: queues an operator paused: workers skip them (see ops.reserve); their jobs stay in place.
  // Per job class metrics, one count per (grain, slot, class, field) (see ../job-metrics.ts).
  // Each queue's waiting jobs counted as they come and go (ops.ts, admin-lists.ts), so sizes
  // are read, not counted over a million rows.
  `
  ALTER TABLE queues ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
  UPDATE queues SET waiting = (SELECT COUNT(*) FROM jobs WHERE jobs.queue = queues.name AND jobs.worker IS NULL);
  CREATE TABLE paused_queues (name TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE job_metrics (
    grain TEXT NOT NULL,
    slot INTEGER NOT NULL,
    class TEXT NOT NULL,
    field TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (grain, slot, class, field)
  ) WITHOUT ROWID;
  `,
  // 8: which scheduled rows are retries (a failed attempt waiting for the next), so Stats.retrying
  // counts them through a partial index at the cost of their number, not the table's. Rows stored
  // before are marked from their payload: attempt above 1 and not an unknown job put back.
  `
  ALTER TABLE scheduled ADD COLUMN retry INTEGER NOT NULL DEFAULT 0;
  UPDATE scheduled SET retry = 1 WHERE CASE WHEN json_valid(payload)
    THEN coalesce(json_extract(payload, '$.attempt') > 1 AND json_extract(payload, '$.unknown_since') IS NULL, 0) ELSE 0 END;
  CREATE INDEX scheduled_retry ON scheduled (retry) WHERE retry = 1;
  `,
  // 9: job events across processes (see events.ts): who listens to which queue, until when
  // (renewed while subscribed), and the events published while someone does, kept about a
  // minute. AUTOINCREMENT so an id is never reused after pruning: subscribers read by id.
  `
  CREATE TABLE event_listeners (
    listener TEXT NOT NULL,
    queue TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (listener, queue)
  ) WITHOUT ROWID;
  CREATE INDEX event_listeners_queue ON event_listeners (queue, expires_at);
  CREATE TABLE event_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX event_log_at ON event_log (at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file to SCHEMA_VERSION. Throws (as a plain Error; the caller names the path) when
 * the file was written by a newer errand, rather than touching a layout it does not know.
 */
export function migrate(db: Database.Database): void {
  const step = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(`its schema version is ${current}, newer than this errand knows (${SCHEMA_VERSION}): upgrade errand`);
    }
    // Version 0 with tables in it is some other program's database: never write errand's into it.
    if (current === 0 && db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").pluck().get() !== 0) {
      throw new Error('it is a SQLite database errand did not create (it has tables but no errand schema version): point errand at its own file');
    }
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]!);
    if (current !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  // Read the version first without a write lock: the common case (already current) takes none.
  if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return;
  step.immediate();
}
