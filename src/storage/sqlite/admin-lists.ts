// The SQLite admin side's list edits for the dashboard: waiting jobs (remove one, clear a queue),
// the scheduled table (list by due time, run one now, remove one) and the failed list's filtered
// bulk actions. SqliteAdmin delegates here; each change is one statement or one transaction.
// Invariant: entries are addressed by stored value or row id, never by position (the lists move).

import type Database from 'better-sqlite3';
import type { FailedEntry, FailedFilter, QueuedJob, ScheduledEntry, ScheduledFilter } from '../types.ts';
import { parseObject } from '../resque-format.ts';
import { append } from './ops.ts';
import type { Statements } from './statements.ts';

type Sql = (source: string) => Database.Statement;

export function removeQueued(db: Database.Database, sql: Sql, queue: string, payload: string): boolean {
  const id = 'SELECT id FROM jobs WHERE queue = ? AND worker IS NULL AND payload = ? ORDER BY pos LIMIT 1';
  return db.transaction(() => {
    const removed = sql(`DELETE FROM jobs WHERE id = (${id})`).run(queue, payload).changes === 1;
    if (removed) sql('UPDATE queues SET waiting = waiting - 1 WHERE name = ?').run(queue);
    return removed;
  }).immediate();
}

export function clearQueue(db: Database.Database, sql: Sql, queue: string): number {
  return db.transaction(() => {
    const removed = sql('DELETE FROM jobs WHERE queue = ? AND worker IS NULL').run(queue).changes;
    sql('UPDATE queues SET waiting = 0 WHERE name = ?').run(queue);
    return removed;
  }).immediate();
}

interface ScheduledRow { id: number; run_at: number; queue: string; payload: string }

export function scheduled(sql: Sql, start: number, count: number): ScheduledEntry[] {
  if (count <= 0 || start < 0) return [];
  const rows = sql('SELECT id, run_at, queue, payload FROM scheduled ORDER BY run_at, id LIMIT ? OFFSET ?').all(count, start) as ScheduledRow[];
  return rows.map((row, i) => ({ index: start + i, key: String(row.id), queue: row.queue, payload: row.payload, runAt: row.run_at }));
}

/** The row id behind a ScheduledEntry.key; anything else names no entry. */
function rowId(key: string): number | undefined {
  return /^[1-9][0-9]{0,15}$/.test(key) ? Number(key) : undefined;
}

export function runScheduled(db: Database.Database, sql: Sql, st: Statements, key: string): boolean {
  const id = rowId(key);
  if (id === undefined) return false;
  return db.transaction(() => {
    const row = sql('DELETE FROM scheduled WHERE id = ? RETURNING queue, payload').get(id) as { queue: string; payload: string } | undefined;
    if (!row) return false;
    append(st, row.queue, [row.payload]);
    return true;
  }).immediate();
}

export function removeScheduled(sql: Sql, key: string): boolean {
  const id = rowId(key);
  return id !== undefined && sql('DELETE FROM scheduled WHERE id = ?').run(id).changes === 1;
}

/**
 * Runs now (to the tails of their queues, in due order) or removes every scheduled row matching
 * `filter`, in one transaction: one pass over the table. Same rules as scheduled-filter.lua.
 */
export function scheduledMatching(db: Database.Database, sql: Sql, st: Statements, mode: 'run' | 'remove', filter: ScheduledFilter): number {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.queue) clauses.push('queue = ?'), params.push(filter.queue);
  if (filter.class) clauses.push("(CASE WHEN json_valid(payload) THEN json_extract(payload, '$.class') END) = ?"), params.push(filter.class);
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  return db.transaction(() => {
    if (mode === 'remove') return sql(`DELETE FROM scheduled ${where}`).run(...params).changes;
    const rows = sql(`DELETE FROM scheduled ${where} RETURNING id, run_at, queue, payload`).all(...params) as ScheduledRow[];
    rows.sort((a, b) => a.run_at - b.run_at || a.id - b.id);
    const byQueue = new Map<string, string[]>();
    for (const row of rows) {
      const list = byQueue.get(row.queue);
      if (list) list.push(row.payload);
      else byQueue.set(row.queue, [row.payload]);
    }
    for (const [queue, payloads] of byQueue) append(st, queue, payloads);
    return rows.length;
  }).immediate();
}

// A field of the entry, NULL when the entry is not JSON (json_extract would raise on it).
const field = (path: string) => `(CASE WHEN json_valid(raw) THEN json_extract(raw, '${path}') END)`;
/** The WHERE clause of a filter and its parameters; the same rules as failed-filter.lua. */
function where(filter: FailedFilter): [string, unknown[]] {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.class) clauses.push(`${field('$.payload.class')} = ?`), params.push(filter.class);
  if (filter.queue) clauses.push(`${field('$.queue')} = ?`), params.push(filter.queue);
  if (filter.error) {
    clauses.push(`(instr(COALESCE(${field('$.exception')}, ''), ?) > 0 OR instr(COALESCE(${field('$.error')}, ''), ?) > 0)`);
    params.push(filter.error, filter.error);
  }
  return [clauses.length ? clauses.join(' AND ') : '1', params];
}

export function removeFailedMatching(sql: Sql, filter: FailedFilter): number {
  const [clause, params] = where(filter);
  return sql(`DELETE FROM failed WHERE ${clause}`).run(...params).changes;
}

/** One transaction: one DELETE … RETURNING over the list, the jobs appended, the unretryable put back. */
export function retryFailedMatching(
  db: Database.Database, sql: Sql, st: Statements, filter: FailedFilter, prepare: (entry: FailedEntry) => QueuedJob | undefined,
): { retried: number; skipped: number } {
  const [clause, params] = where(filter);
  return db.transaction(() => {
    const rows = (sql(`DELETE FROM failed WHERE ${clause} RETURNING id, raw`).all(...params) as { id: number; raw: string }[]).sort((a, b) => a.id - b.id);
    const byQueue = new Map<string, string[]>();
    let skipped = 0;
    for (const { raw } of rows) {
      const job = prepare({ index: -1, raw, entry: parseObject(raw) });
      if (!job) {
        sql('INSERT INTO failed (raw) VALUES (?)').run(raw);
        skipped++;
        continue;
      }
      const list = byQueue.get(job.queue);
      if (list) list.push(job.payload);
      else byQueue.set(job.queue, [job.payload]);
    }
    for (const [queue, payloads] of byQueue) append(st, queue, payloads);
    return { retried: rows.length - skipped, skipped };
  }).immediate();
}
