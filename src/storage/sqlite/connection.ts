// Opening the SQLite file and turning SQLite's errors into StoreErrors that name the file.
// Lifecycle: openDatabase() creates the parent directory and the file on first use, switches
// to WAL, sets the busy timeout, and migrates; the caller closes the handle.
// Invariants: a file that is not an errand database (garbage, corrupt, another program's
// newer schema) is never overwritten or emptied: opening fails with a StoreError naming it.
// Every write goes through BEGIN IMMEDIATE (see writeTx), so two processes never interleave a
// read-then-write and a busy database waits up to busyTimeoutMs, then fails clearly.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../../errors.ts';
import { defaults } from '../../defaults.ts';
import { migrate } from './schema.ts';

export interface OpenOptions {
  readonly path: string;
  readonly busyTimeoutMs: number;
}

export function openDatabase({ path, busyTimeoutMs }: OpenOptions): Database.Database {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: busyTimeoutMs });
    // The first statement reads the header: a file that is not a database fails here.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new Error(`could not switch to WAL journal mode (got ${String(mode)})`);
    // NORMAL is durable across process crashes in WAL mode; only a power cut may lose the last commits.
    db.pragma('synchronous = NORMAL');
    // A checkpoint runs inside the commit that crosses this size and takes milliseconds (copying
    // pages, an fsync): the tail of an enqueue, or of the reserve before a job starts. Workers'
    // lease threads checkpoint in the background (SqliteStore.checkpoint); this is the fallback.
    db.pragma(`wal_autocheckpoint = ${defaults.sqliteAutoCheckpointPages}`);
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw toStoreError(error, path, 'open', busyTimeoutMs);
  }
}

/** SQLite result codes that mean "this file is not (or no longer) a usable database". */
const DAMAGED = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

export function toStoreError(error: unknown, path: string, what: string, busyTimeoutMs: number): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = (error as Error)?.message ?? String(error);
  if (typeof code === 'string' && DAMAGED.has(code)) {
    return new StoreError(`SQLite ${what} failed: ${path} is not a usable errand database (${message}). ` +
      'It was left untouched: restore it from a backup or point errand at another file', { cause: error });
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) {
    return new StoreError(`SQLite ${what} failed: ${path} stayed locked by another connection for more than ${busyTimeoutMs} ms (${message})`, { cause: error });
  }
  if (typeof code === 'string' && (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR'))) {
    return new StoreError(`SQLite ${what} failed: cannot use ${path} (${message}): check that the directory exists and is writable`, { cause: error });
  }
  if (what === 'open') return new StoreError(`SQLite open failed: ${path} cannot be used by errand: ${message}`, { cause: error });
  return new StoreError(`SQLite ${what} failed on ${path}: ${message}`, { cause: error });
}
