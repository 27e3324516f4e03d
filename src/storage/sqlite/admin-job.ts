// AdminStore.job(id) on SQLite: where the job with this id is, from the jobs (waiting or in
// flight), scheduled and failed tables, in one read transaction (one snapshot, so the job cannot
// slip between two tables while it is looked for). A LIKE on the id skips most rows; the JSON
// check then matches the payload's "id" exactly. O(n) in the rows scanned: an operator's call,
// never the hot path. SqliteAdmin delegates here.

import type Database from 'better-sqlite3';
import type { JobState } from '../types.ts';
import { parseObject } from '../resque-format.ts';

type Sql = (source: string) => Database.Statement;

interface JobRow { queue: string; pos: number; worker: string | null; payload: string; resque_id: string | null; working_on: string | null }
interface ScheduledRow { id: number; queue: string; run_at: number; payload: string }
interface FailedRow { id: number; raw: string }

/** `column`'s JSON at `path` equals the bound id; CASE, because json_extract throws on text that is not JSON. */
const idIs = (column: string, path: string) => `${column} LIKE ? ESCAPE '\\' AND (CASE WHEN json_valid(${column}) THEN json_extract(${column}, '${path}') END) = ?`;

export function findJob(db: Database.Database, sql: Sql, id: string): JobState {
  // Only a plain id is prefiltered (as find-job.lua does): one with a quote, a backslash or other
  // text an encoder may escape is stored escaped, so its raw text is not a substring of the payload.
  const like = /^[\w\-.:+]+$/.test(id) ? `%${id.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : '%';
  return db.transaction((): JobState => {
    const job = sql(
      'SELECT j.queue, j.pos, j.worker, j.payload, COALESCE(w.resque_id, j.worker) AS resque_id, w.working_on FROM jobs j ' +
      `LEFT JOIN workers w ON w.id = j.worker WHERE ${idIs('j.payload', '$.id')} LIMIT 1`,
    ).get(like, id) as JobRow | undefined;
    if (job && job.worker === null) {
      const position = sql('SELECT COUNT(*) FROM jobs WHERE queue = ? AND worker IS NULL AND pos < ?').pluck().get(job.queue, job.pos) as number;
      return { state: 'waiting', id, queue: job.queue, position, payload: job.payload };
    }
    if (job) {
      const working = parseObject(job.working_on);
      const shown = working?.payload as { id?: unknown } | undefined;
      const since = shown?.id === id && typeof working?.run_at === 'string' ? working.run_at : undefined;
      return { state: 'in-flight', id, queue: job.queue, instance: job.worker!, worker: job.resque_id ?? job.worker!, since, payload: job.payload };
    }
    const due = sql(`SELECT id, queue, run_at, payload FROM scheduled WHERE ${idIs('payload', '$.id')} ORDER BY run_at, id LIMIT 1`).get(like, id) as ScheduledRow | undefined;
    if (due) return { state: 'scheduled', id, queue: due.queue, runAt: due.run_at, key: String(due.id), payload: due.payload };
    const failed = sql(`SELECT id, raw FROM failed WHERE ${idIs('raw', '$.payload.id')} ORDER BY id LIMIT 1`).get(like, id) as FailedRow | undefined;
    if (failed) {
      const index = sql('SELECT COUNT(*) FROM failed WHERE id < ?').pluck().get(failed.id) as number;
      const entry = parseObject(failed.raw);
      const field = (name: string) => (typeof entry?.[name] === 'string' ? (entry[name] as string) : undefined);
      return { state: 'failed', id, queue: field('queue'), exception: field('exception'), error: field('error'), failure: { index, raw: failed.raw, entry } };
    }
    return { state: 'unknown', id };
  }).deferred();
}
