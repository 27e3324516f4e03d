// SQLite checkpoints off the hot path: a connection checkpoints its write-ahead log itself only
// past defaults.sqliteAutoCheckpointPages (SQLite's own 1000 would put a checkpoint, copying
// pages and an fsync, inside every few hundredth enqueue or reserve), and a worker's lease thread
// folds the log into the database file in the background. Observed through the database file's
// size: pages reach it only by a checkpoint.
// The regressions each test catches: the pragma left at SQLite's default; checkpoint() doing
// nothing; the lease thread not calling it (then the log only grows until the fallback).

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/storage/sqlite/store.ts';
import { createErrand, defineJob } from '../src/index.ts';
import { defaults } from '../src/defaults.ts';
import { waitFor } from './support/cli-harness.ts';

function tempPath(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'errand-checkpoint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'errand.db');
}

// About 6.5 MB of payloads (6000 jobs): past SQLite's default threshold (1000 pages, 4 MB) and
// under the fallback (4000 pages, 16 MB).
const PADDING = 'x'.repeat(1_000);
const payloads = (queue: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ queue, payload: JSON.stringify({ class: 'Checkpointed', args: [i, PADDING], id: `cp-${i}`, queue }) }));
const fileBytes = (path: string) => statSync(path).size;

test('a connection checkpoints itself only past the fallback size; checkpoint() folds the log into the file', async (t) => {
  const path = tempPath(t);
  const store = SqliteStore.open({ path, busyTimeoutMs: 5_000 });
  t.after(() => store.close());
  assert.equal(store.database.pragma('wal_autocheckpoint', { simple: true }), defaults.sqliteAutoCheckpointPages);

  const before = fileBytes(path);
  for (let i = 0; i < 12; i++) await store.push(payloads('q', 500));
  // Nothing moved the pages into the file yet: SQLite's default threshold would have, twice.
  assert.ok(fileBytes(path) - before < 1_000_000, `database file grew by ${fileBytes(path) - before} bytes before any checkpoint`);
  store.checkpoint();
  assert.ok(fileBytes(path) - before > 6_000_000, `database file grew by only ${fileBytes(path) - before} bytes after checkpoint()`);
  // And the jobs are all there, read through a connection of its own.
  const other = new Database(path, { readonly: true });
  t.after(() => other.close());
  assert.equal(other.prepare('SELECT count(*) FROM jobs').pluck().get(), 6_000);
});

test("a worker's lease thread checkpoints while the worker waits", async (t) => {
  const path = tempPath(t);
  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  const Checkpointed = defineJob({ name: 'Checkpointed', queue: 'elsewhere', perform() {} });
  const errand = createErrand({ url: `sqlite:${path}`, logger: quiet, jobs: [Checkpointed] });
  t.after(() => errand.close());
  const store = await errand.store();
  const worker = errand.worker({ queues: 'idle' });
  await worker.start();
  const before = fileBytes(path);
  // Written by the producer's connection, which stays under its fallback size: only the lease
  // thread's checkpoint can bring these pages into the file.
  for (let i = 0; i < 12; i++) await store.push(payloads('elsewhere', 500));
  await waitFor('the lease thread to checkpoint the log into the database file', () => fileBytes(path) - before > 6_000_000, 20_000);
  assert.equal((await store.admin().peek('elsewhere', 0, 7_000)).length, 6_000);
});
