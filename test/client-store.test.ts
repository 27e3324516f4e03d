// Smaller holes around the client and the settler (issue #10, item 8), on real SQLite files: a
// bulk enqueue is one transaction (all stored or none), a createErrand() whose first store open
// failed opens again on the next call, and a stopped settler leaves no timer to keep a process up.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createErrand, defineJob, StoreError } from '../src/index.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'errand-client-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('SQLite: a bulk enqueue that fails part way stores nothing (one transaction)', async (t) => {
  const path = join(tempDir(t), 'bulk.db');
  const errand = createErrand({ url: `sqlite:${path}`, logger: quiet });
  t.after(() => errand.close());
  const job = defineJob({ name: 'CsBulk', queue: 'cs-bulk', async perform(_n: number | string) {} });
  await errand.store(); // creates the schema
  // A real SQLite failure on one row deep into the batch: past the client's Redis chunk size.
  const db = new Database(path);
  db.exec(`CREATE TRIGGER cs_refuse BEFORE INSERT ON jobs WHEN NEW.payload LIKE '%"refuse me"%'
           BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`);
  db.close();
  const args = Array.from({ length: 12_000 }, (_, i) => [i === 9_000 ? 'refuse me' : i] as [number | string]);
  await assert.rejects(errand.enqueueBulk(job, args), /refused by the test trigger/);
  const admin = await errand.admin();
  assert.equal((await admin.stats()).queues.find((q) => q.name === 'cs-bulk')?.size ?? 0, 0, 'no job of the failed bulk is stored');
  // And without the bad row, all of them are.
  args[9_000] = [9_000];
  assert.equal((await errand.enqueueBulk(job, args)).length, 12_000);
  assert.equal((await admin.stats()).queues.find((q) => q.name === 'cs-bulk')?.size, 12_000);
});

test('createErrand(): a first store open that failed (SQLITE_BUSY during migration) is retried on the next call', async (t) => {
  const path = join(tempDir(t), 'busy.db');
  // Another process holds the new file's write lock, as during its own migration.
  const other = new Database(path);
  other.exec('BEGIN EXCLUSIVE');
  const errand = createErrand({ url: `sqlite:${path}`, logger: quiet, timeout: 50 });
  t.after(() => errand.close());
  const job = defineJob({ name: 'CsBusy', queue: 'cs-busy', async perform() {} });
  await assert.rejects(errand.enqueue(job), (error: unknown) => error instanceof StoreError && /locked by another connection/.test(error.message));
  other.exec('COMMIT');
  other.close();
  const stored = await errand.enqueue(job);
  assert.ok(stored?.id, 'the second enqueue opened the store and stored the job');
  assert.equal((await (await errand.admin()).stats()).queues.find((q) => q.name === 'cs-busy')?.size, 1);
});

test('a settler retrying a failed write stops on stop() and keeps no process alive', async (t) => {
  const dir = tempDir(t);
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'uc-settler-exit.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  // A generous bound, not a timing assertion: the process either ends by itself or never does.
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  assert.match(out, /retried [3-9]/, 'its writes failed and were retried');
  assert.match(out, /stopped, dropped 1/);
  assert.deepEqual([code, signal], [0, null], `it exited by itself (output: ${out})`);
});
