// SQLite schema migrations that rewrite data, checked on a file put back in the state the
// previous schema version left: migration 8 marks the scheduled rows that are retries (so
// Stats.retrying counts them) from their payloads; migration 9 adds the event tables to a file
// that has jobs. Real SQLite files under the temp folder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/storage/sqlite/store.ts';

test('migration 8 marks the retries already scheduled: attempt above 1, not an unknown job put back, not a payload that is not JSON', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-migrations-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'errand.db');
  SqliteStore.open({ path, busyTimeoutMs: 1_000 }).close();
  // The file as schema version 7 left it, with one row of each kind.
  const raw = new Database(path);
  raw.exec('DROP TABLE event_listeners; DROP TABLE event_log; DROP INDEX scheduled_retry; ALTER TABLE scheduled DROP COLUMN retry');
  const insert = raw.prepare('INSERT INTO scheduled (run_at, queue, payload) VALUES (?, ?, ?)');
  insert.run(1, 'q', JSON.stringify({ class: 'A', args: [], attempt: 2, errors: [] }));
  insert.run(2, 'q', JSON.stringify({ class: 'B', args: [{ attempt: 9 }], attempt: 1 }));
  insert.run(3, 'q', JSON.stringify({ class: 'C', args: [], attempt: 3, unknown_since: 1_700_000_000 }));
  insert.run(4, 'q', 'not json {"attempt":5}');
  insert.run(5, 'q', JSON.stringify({ class: 'Ruby', args: [] }));
  raw.pragma('user_version = 7');
  raw.close();
  const store = SqliteStore.open({ path, busyTimeoutMs: 1_000 });
  try {
    const stats = await store.admin().stats();
    assert.deepEqual([stats.scheduled, stats.retrying], [5, 1]);
  } finally {
    await store.close();
  }
});

test('migration 9 adds the event tables to a version 8 file, keeping its jobs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-migrations-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'errand.db');
  const first = SqliteStore.open({ path, busyTimeoutMs: 1_000 });
  await first.push([{ queue: 'q', payload: JSON.stringify({ class: 'A', args: [] }) }]);
  await first.close();
  // The file as schema version 8 left it.
  const raw = new Database(path);
  raw.exec('DROP TABLE event_listeners; DROP TABLE event_log');
  raw.pragma('user_version = 8');
  raw.close();
  const store = SqliteStore.open({ path, busyTimeoutMs: 1_000 });
  try {
    assert.deepEqual((await store.admin().stats()).queues.map((queue) => [queue.name, queue.size]), [['q', 1]]);
    const tables = store.database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'event_%' ORDER BY name").pluck().all();
    assert.deepEqual(tables, ['event_listeners', 'event_log']);
  } finally {
    await store.close();
  }
});
