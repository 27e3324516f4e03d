// kill -9 of a process in the middle of claiming ticks, on both stores: a claim and its enqueue
// are one store step, so whatever instant the process dies at, every tick the cursor passed has
// exactly one run in the queue and no tick past the cursor has one; the next tick is claimable
// by another process. Catches: a claim split in two (cursor moved without its run, or a run
// without its cursor), e.g. a claim done as two calls or a SQLite claim outside one transaction.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/storage/open.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace } from './support/redis.ts';
import { ROOT } from './support/cli-harness.ts';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'claim-loop.ts');
const KILLS = 3;

/** Starts the claim loop from `first`; resolves once it claims, kills it -9 a random 50–250 ms later. */
async function claimUntilKilled(url: string, namespace: string, name: string, first: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, url, namespace, name, String(first)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('claiming')) resolve(); });
    child.once('exit', (code) => reject(new Error(`claim loop exited (${code}) before claiming: ${stderr.slice(-500)}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
  child.kill('SIGKILL');
  await exited;
}

for (const kind of ['redis', 'sqlite'] as const) {
  test(`kill -9 mid-claim on ${kind}: each tick up to the cursor has one run, none past it, the next tick is claimable`, { timeout: 60_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'errand-claim-kill-'));
    const namespace = uniqueNamespace('errand-claim-kill');
    const url = kind === 'redis' ? REDIS_URL : `sqlite:${join(dir, 'errand.db')}`;
    const store = await openStore(url, { namespace });
    try {
      const schedules = store.schedules();
      const { storeNow } = await schedules.declare([{ name: 'killed', definition: '{}' }]);
      const origin = storeNow - 3_000_000;
      let next = origin;
      for (let kill = 0; kill < KILLS; kill++) {
        await claimUntilKilled(url, namespace, 'killed', next);
        const cursor = (await schedules.list()).find((s) => s.name === 'killed')!.cursor!;
        assert.ok(cursor >= next, `the loop claimed at least its first tick (cursor ${cursor}, from ${next})`);
        next = cursor + 1;
      }
      const cursor = next - 1;
      const runs = (await store.admin().peek('claims', 0, 1_000_000)).map((p) => JSON.parse(p).args[0] as number);
      t.diagnostic(`${kind}: ${runs.length} ticks claimed across ${KILLS} kill -9`);
      assert.deepEqual(runs, Array.from({ length: cursor - origin + 1 }, (_, i) => origin + i), 'one run per tick up to the cursor, in order, none past it');
      const after = await schedules.claim({ name: 'killed', tick: next, onTimeMs: 3_600_000, catchUpMs: 0, skipIfRunning: false, queue: 'claims', jobId: 'after', payload: '{"class":"Killed","args":[0]}', caughtUpPayload: '{"class":"Killed","args":[0]}' });
      assert.equal(after.outcome, 'enqueued', 'the tick after the last kill is claimed by another process');
    } finally {
      await store.close();
      await deleteNamespace(namespace);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
