// errand.events() across processes on one SQLite file (src/storage/sqlite/events.ts): a
// subscriber in this process hears, in order, the events of a job another process enqueues and
// runs (test/fixtures/sqlite-event-producer.ts); a subscriber's listener rows go when it
// closes; and with nobody subscribed a workload writes nothing to the event tables. Real files
// under the temp folder, a real child process; waits poll for states, never for a time.

import { test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createErrand, defineJob, type JobEvent } from '../src/index.ts';
import { waitFor } from './support/redis.ts';
import { quiet } from './support/errand.ts';
import { jsonLines } from './support/json-lines.ts';

const evAdd = defineJob({ name: 'EvAdd', queue: 'ev-a', async perform(_a: number, _label: string) {} });

function tempDb(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'errand-events-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'errand.db');
}

/** Reads the file with a connection of the test's own. */
function inspect<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

test('a subscriber in this process hears, in order, the events of a job another process enqueues and runs', async (t) => {
  const path = tempDb(t);
  const listens = createErrand({ url: `sqlite:${path}`, logger: quiet });
  t.after(() => listens.close());
  const events = listens.events(evAdd);
  const heard: JobEvent<[number, string]>[] = [];
  events.onAny((event) => heard.push(event));
  await events.ready;
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'sqlite-event-producer.ts'), path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = jsonLines<{ id: string }>(child.stdout);
  try {
    // The child learns of the subscriber within about two seconds: probe until it is heard.
    await waitFor('the other process to hear of the subscriber', async () => {
      child.stdin.write('probe\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      return heard.some((event) => event.type === 'enqueued') && heard.some((event) => event.type === 'completed');
    }, 30_000);
    child.stdin.write('job\n');
    const { id } = await waitFor('the job id', () => lines[0], 20_000);
    await waitFor('its completed event', () => heard.some((event) => event.type === 'completed' && event.id === id), 20_000);
    const mine = heard.filter((event) => event.type !== 'recovered' && event.id === id);
    assert.deepEqual(mine.map((event) => event.type), ['enqueued', 'started', 'completed']);
    assert.ok(mine.every((event) => event.type !== 'recovered' && event.name === 'EvAdd' && event.args[0] === 3 && event.args[1] === 'three'));
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
  }
  assert.ok(inspect(path, (db) => db.prepare('SELECT COUNT(*) FROM event_listeners').pluck().get() as number) > 0, 'subscribed: a listener row');
  await events.close();
  assert.equal(inspect(path, (db) => db.prepare('SELECT COUNT(*) FROM event_listeners').pluck().get()), 0, 'closed: its rows are gone');
});

test('with nobody subscribed, a workload writes nothing to the event tables', async (t) => {
  const path = tempDb(t);
  const errand = createErrand({ url: `sqlite:${path}`, logger: quiet });
  t.after(() => errand.close());
  const worker = errand.worker({ queues: ['ev-a'], concurrency: 4 });
  await worker.start();
  await errand.enqueueBulk(evAdd, Array.from({ length: 50 }, (_, i) => [i, 'bulk'] as [number, string]));
  for (let i = 0; i < 20; i++) await errand.enqueue(evAdd, i, 'single');
  await waitFor('all run', async () => (await (await errand.admin()).stats()).processed >= 70, 20_000);
  await errand.close();
  // sqlite_sequence keeps event_log's last id even after pruning: no row means none was ever written.
  assert.deepEqual(inspect(path, (db) => [
    db.prepare("SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'event_log'").pluck().get(),
    db.prepare('SELECT COUNT(*) FROM event_log').pluck().get(),
    db.prepare('SELECT COUNT(*) FROM event_listeners').pluck().get(),
  ]), [0, 0, 0]);
});
