// AdminStore.job(id) on SQLite: where the job with this id is, from the jobs (waiting or in
// flight), scheduled and failed tables, in one read transaction (one snapshot, so the job cannot
// slip between two tables while it is looked for); findJobStep does the same a bounded id range
// at a time, for the dashboard. A LIKE on the id skips most rows; the JSON check then matches the
// payload's "id" exactly. O(n) in the rows scanned: an operator's call, never the hot path.
// SqliteAdmin delegates here.

import type Database from 'better-sqlite3';
import type { JobSearch, JobState } from '../types.ts';
import { parseObject } from '../resque-format.ts';

type Sql = (source: string) => Database.Statement;

interface JobRow { queue: string; pos: number; worker: string | null; payload: string; resque_id: string | null; working_on: string | null }
interface ScheduledRow { id: number; queue: string; run_at: number; payload: string }
interface FailedRow { id: number; raw: string }

/** `column`'s JSON at `path` equals the bound id; CASE, because json_extract throws on text that is not JSON. */
const idIs = (column: string, path: string) => `${column} LIKE ? ESCAPE '\\' AND (CASE WHEN json_valid(${column}) THEN json_extract(${column}, '${path}') END) = ?`;

const TABLES = ['jobs', 'scheduled', 'failed'] as const;
type Table = (typeof TABLES)[number];

/** Where a step starts from a resume token `table:id`; anything else is the start. */
function startOf(resume: string | undefined): { table: Table; after: number } {
  const match = /^(jobs|scheduled|failed):(\d{1,15})$/.exec(resume ?? '');
  return match ? { table: match[1] as Table, after: Number(match[2]) } : { table: 'jobs', after: 0 };
}

/**
 * One bounded step: rows with ids in (after, after + budget] of one table after another (ids
 * only grow, and a job that moves on gets a new, higher id in the next table, so it is not
 * missed). Run inside a read transaction by the caller.
 */
function step(sql: Sql, id: string, like: string, from: { table: Table; after: number }, budget: number): JobSearch {
  let { table, after } = from;
  let scanned = 0;
  for (;;) {
    const max = (sql(`SELECT COALESCE(MAX(id), 0) FROM ${table}`).pluck().get() as number);
    while (after < max) {
      if (scanned >= budget) return { done: false, resume: `${table}:${after}`, scanned };
      const upTo = Math.min(max, after + budget - scanned);
      const found = findIn(sql, table, id, like, after, upTo);
      if (found) return { done: true, job: found };
      scanned += upTo - after;
      after = upTo;
    }
    const next = TABLES[TABLES.indexOf(table) + 1];
    if (!next) return { done: true, job: { state: 'unknown', id } };
    table = next;
    after = 0;
  }
}

function findIn(sql: Sql, table: Table, id: string, like: string, after: number, upTo: number): JobState | undefined {
  if (table === 'jobs') {
    const job = sql(
      'SELECT j.queue, j.pos, j.worker, j.payload, COALESCE(w.resque_id, j.worker) AS resque_id, w.working_on FROM jobs j ' +
      `LEFT JOIN workers w ON w.id = j.worker WHERE j.id > ? AND j.id <= ? AND ${idIs('j.payload', '$.id')} ORDER BY j.id LIMIT 1`,
    ).get(after, upTo, like, id) as JobRow | undefined;
    if (job && job.worker === null) {
      const position = sql('SELECT COUNT(*) FROM jobs WHERE queue = ? AND worker IS NULL AND pos < ?').pluck().get(job.queue, job.pos) as number;
      return { state: 'waiting', id, queue: job.queue, position, payload: job.payload };
    }
    if (!job) return undefined;
    const working = parseObject(job.working_on);
    const shown = working?.payload as { id?: unknown } | undefined;
    const since = shown?.id === id && typeof working?.run_at === 'string' ? working.run_at : undefined;
    return { state: 'in-flight', id, queue: job.queue, instance: job.worker!, worker: job.resque_id ?? job.worker!, since, payload: job.payload };
  }
  if (table === 'scheduled') {
    const due = sql(`SELECT id, queue, run_at, payload FROM scheduled WHERE id > ? AND id <= ? AND ${idIs('payload', '$.id')} ORDER BY run_at, id LIMIT 1`).get(after, upTo, like, id) as ScheduledRow | undefined;
    return due && { state: 'scheduled', id, queue: due.queue, runAt: due.run_at, key: String(due.id), payload: due.payload };
  }
  const failed = sql(`SELECT id, raw FROM failed WHERE id > ? AND id <= ? AND ${idIs('raw', '$.payload.id')} ORDER BY id LIMIT 1`).get(after, upTo, like, id) as FailedRow | undefined;
  if (!failed) return undefined;
  const index = sql('SELECT COUNT(*) FROM failed WHERE id < ?').pluck().get(failed.id) as number;
  const entry = parseObject(failed.raw);
  const field = (name: string) => (typeof entry?.[name] === 'string' ? (entry[name] as string) : undefined);
  return { state: 'failed', id, queue: field('queue'), exception: field('exception'), error: field('error'), failure: { index, raw: failed.raw, entry } };
}

/** Only a plain id is prefiltered (as find-job.lua does): one with a quote, a backslash or other
 * text an encoder may escape is stored escaped, so its raw text is not a substring of the payload. */
function likeOf(id: string): string {
  return /^[\w\-.:+]+$/.test(id) ? `%${id.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : '%';
}

/** The whole look-up in one read transaction: one snapshot, so the job cannot slip between tables. */
export function findJob(db: Database.Database, sql: Sql, id: string): JobState {
  const like = likeOf(id);
  return db.transaction((): JobState => {
    const result = step(sql, id, like, startOf(undefined), Number.POSITIVE_INFINITY);
    return result.done ? result.job : { state: 'unknown', id };
  }).deferred();
}

export function findJobStep(db: Database.Database, sql: Sql, id: string, resume: string | undefined, budget: number): JobSearch {
  return db.transaction(() => step(sql, id, likeOf(id), startOf(resume), Math.max(1_000, Math.floor(budget)))).deferred();
}
