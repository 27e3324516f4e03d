// kill -9 of a process in the middle of claiming ticks, on both stores: a claim and its enqueue
// are one store step, so whatever instant the process dies at, every tick the cursor passed has
// exactly one run in the queue and no tick past the cursor has one; the next tick is claimable
// by another process. Catches: a claim split in two (cursor moved without its run, or a run
// without its cursor), e.g. a claim done as two calls or a SQLite claim outside one transaction.
// Then, with real worker processes, kill -9 of exactly the process that just claimed a tick: the
// others claim every tick after it. Catches a process that leaves the next ticks to the last
// claimer (a leader in all but name), whose death would leave a hole.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/storage/open.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace } from './support/redis.ts';
import { inWorld, ROOT, waitFor, type CliProcess, type World } from './support/cli-harness.ts';
import { createErrand } from '../src/index.ts';
import { jobFile } from './support/errand-bin.ts';

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

const PID_FIXTURE = jobFile(join(ROOT, 'test', 'fixtures', 'schedule-pid-jobs.ts'));
const CLAIMER_KILLS = 3;

for (const kind of ['redis', 'sqlite'] as const) {
  test(`kill -9 of the process that just claimed a tick on ${kind} (4 workers): the tick sequence stays exact`, { timeout: 120_000 }, async (t) => {
    await inWorld(async (world: World) => {
      const db = `sqlite:${join(world.dir, 'claimer.db')}`;
      const store = kind === 'redis' ? world.store : ['--url', db];
      const reader = kind === 'redis' ? undefined : createErrand({ url: db });
      try {
        const admin = reader ? await reader.admin() : undefined;
        const all = async () => (admin ? admin.peek('sched-claimer', 0, 1_000_000) : world.redis.lrange(world.key('queue:sched-claimer'), 0, -1));
        const runs = async () => (await all()).map((p) => JSON.parse(p) as { id: string; args: [number]; schedule: { tick: number } });
        const start = (): CliProcess => world.spawn(['work', '--require', PID_FIXTURE, ...store, '--queues', 'sched-idle']);
        const procs = [0, 1, 2, 3].map(start);
        await waitFor('the first tick to be enqueued', async () => (await all()).length >= 1, 60_000);
        const killed: number[] = [];
        for (let kill = 0; kill < CLAIMER_KILLS; kill++) {
          const seen = (await all()).length;
          // The newest run names the process that claimed it a moment ago: kill that one.
          const claimer = await waitFor('a new tick', async () => { const r = await runs(); return r.length > seen ? r[r.length - 1]!.args[0] : undefined; }, 30_000);
          const index = procs.findIndex((p) => p.pid === claimer);
          assert.ok(index >= 0, `the claimer ${claimer} is one of the running workers`);
          procs[index]!.signal('SIGKILL');
          await procs[index]!.exited;
          killed.push(claimer);
          procs[index] = start();
        }
        const target = (await all()).length + 4;
        await waitFor('four ticks after the last kill', async () => (await all()).length >= target, 60_000);
        for (const proc of procs) proc.signal('SIGKILL');
        await Promise.all(procs.map((p) => p.exited));
        const final = await runs();
        const ticks = final.map((r) => r.schedule.tick).sort((a, b) => a - b);
        const expected = Array.from({ length: (ticks[ticks.length - 1]! - ticks[0]!) / 1000 + 1 }, (_, i) => ticks[0]! + i * 1000);
        t.diagnostic(`${kind}: ${final.length} ticks, claimers killed: ${killed.join(', ')}`);
        assert.equal(new Set(final.map((r) => r.id)).size, final.length);
        assert.deepEqual(ticks, expected, 'one enqueue per tick, none twice, none missing');
        for (const pid of killed) assert.ok(final.some((r) => r.args[0] === pid), `${pid} claimed a tick before it was killed`);
      } finally {
        await reader?.close();
      }
    });
  });
}
