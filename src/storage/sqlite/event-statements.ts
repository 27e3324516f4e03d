// The SQL of job events across processes on SQLite (events.ts; tables: schema.ts, migration 9),
// prepared once per connection. Times are on SQLite's clock, as the store's leases are, so
// processes with skewed clocks agree on when a listener row has expired.
// Invariant: only announce, leave and append write, and only a subscriber announces: a
// process with nobody subscribed anywhere only reads (listened).

import type Database from 'better-sqlite3';

/** A listener row outlives its subscriber by at most this long (a crashed one cannot renew it). */
export const LISTEN_TTL_MS = 10_000;
/** Events are for watching, not replay: a subscriber reads them within seconds; older ones go. */
export const KEEP_MS = 60_000;
const READ_BATCH = 500;

const NOW = "CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";
const IN_QUEUES = 'queue IN (SELECT value FROM json_each(?))';

export interface EventStatements {
  /** Which of the queues (a JSON array) have a live listener row. */
  readonly listened: Database.Statement<[string], string>;
  /** Appends a turn's publishes in one write transaction; prunes old rows when asked. */
  append(rows: readonly (readonly [queue: string, body: string])[], prune: boolean): void;
  /** Inserts or renews a listener's rows. */
  announce(listener: string, queues: readonly string[]): void;
  readonly leave: Database.Statement<[string]>;
  readonly lastId: Database.Statement<[], number>;
  /** Up to readBatch rows past an id, for the queues (a JSON array), in id order. */
  readonly read: Database.Statement<[number, string], { id: number; body: string }>;
  readonly readBatch: number;
}

export function prepareEventStatements(db: Database.Database): EventStatements {
  const insert = db.prepare<[string, string]>(`INSERT INTO event_log (queue, at, body) VALUES (?, ${NOW}, ?)`);
  const pruneLog = db.prepare(`DELETE FROM event_log WHERE at < ${NOW} - ${KEEP_MS}`);
  const pruneListeners = db.prepare(`DELETE FROM event_listeners WHERE expires_at <= ${NOW}`);
  const upsert = db.prepare<[string, string]>(
    `INSERT INTO event_listeners (listener, queue, expires_at) VALUES (?, ?, ${NOW} + ${LISTEN_TTL_MS})
     ON CONFLICT (listener, queue) DO UPDATE SET expires_at = excluded.expires_at`);
  // IMMEDIATE, as every store write (connection.ts): the write lock is taken up front.
  const append = db.transaction((rows: readonly (readonly [string, string])[], prune: boolean) => {
    for (const [queue, body] of rows) insert.run(queue, body);
    if (prune) {
      pruneLog.run();
      pruneListeners.run();
    }
  });
  const announce = db.transaction((listener: string, queues: readonly string[]) => {
    for (const queue of queues) upsert.run(listener, queue);
  });
  return {
    listened: db.prepare<[string], string>(`SELECT DISTINCT queue FROM event_listeners WHERE ${IN_QUEUES} AND expires_at > ${NOW}`).pluck(),
    append: (rows, prune) => append.immediate(rows, prune),
    announce: (listener, queues) => announce.immediate(listener, queues),
    leave: db.prepare<[string]>('DELETE FROM event_listeners WHERE listener = ?'),
    lastId: db.prepare<[], number>('SELECT COALESCE(MAX(id), 0) FROM event_log').pluck(),
    read: db.prepare<[number, string], { id: number; body: string }>(
      `SELECT id, body FROM event_log WHERE id > ? AND ${IN_QUEUES} ORDER BY id LIMIT ${READ_BATCH}`),
    readBatch: READ_BATCH,
  };
}
