// The scheduler end to end on real stores: several processes, one enqueue per tick (kill -9 and
// restarts during the run), catch-up, overlap: false, pause/resume, a schedule removed from
// code, old and new definitions of one schedule side by side. Runs are counted in the queue
// (nothing consumes it), so the assertions are on what was enqueued, not on timing.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createErrand, defineJob, defineSchedule, type Errand, type ScheduleDefinition } from '../src/index.ts';
import { inWorld, REDIS_URL, ROOT, waitFor, type CliProcess, type World } from './support/cli-harness.ts';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { uniqueNamespace, deleteNamespace } from './support/redis.ts';
import { PrivateRedis } from '../chaos/fault-scenarios.ts';
import { jobFile } from './support/errand-bin.ts';

const FIXTURE = jobFile(join(ROOT, 'test', 'fixtures', 'schedule-jobs.ts'));
const TICKS = Number(process.env.ERRAND_SCHEDULE_TICKS ?? 8);

interface Run { tick: number; caughtUp: boolean; id: string }
function runsOf(payloads: readonly string[]): Run[] {
  return payloads.map((p) => JSON.parse(p)).map((j) => ({ tick: j.schedule.tick, caughtUp: j.schedule.caught_up, id: j.id }));
}

function startWorker(world: World, store: readonly string[]): CliProcess {
  return world.spawn(['work', '--require', FIXTURE, ...store, '--queues', 'sched-idle']);
}

/**
 * Where the kills fall: two processes at tick 2 and one at half way; a long run (the figure in
 * docs/guarantees.md, ERRAND_SCHEDULE_TICKS=300) kills one at random every 10 ticks.
 */
function killPoints(ticks: number): number[] {
  if (ticks <= 20) return [2, Math.ceil(ticks / 2)];
  return Array.from({ length: Math.floor((ticks - 1) / 10) }, (_, i) => (i + 1) * 10);
}

for (const kind of ['redis', 'sqlite'] as const) {
  test(`4 worker processes on ${kind}, kill -9 and restarts during ${TICKS} one-second ticks: each tick enqueued exactly once, none missing`, { timeout: 120_000 + TICKS * 2_000 }, async (t) => {
    await inWorld(async (world) => {
      const store = kind === 'redis' ? world.store : ['--url', `sqlite:${join(world.dir, 'ticks.db')}`];
      const reader = kind === 'redis' ? undefined : createErrand({ url: `sqlite:${join(world.dir, 'ticks.db')}` });
      try {
        const admin = reader ? await reader.admin() : undefined;
        const all = async () => (admin ? admin.peek('sched-ticks', 0, 1_000_000) : world.redis.lrange(world.key('queue:sched-ticks'), 0, -1));
        const count = async () => (await all()).length;
        const procs = [0, 1, 2, 3].map(() => startWorker(world, store));
        await waitFor('the first tick to be enqueued', async () => (await count()) >= 1, 60_000);
        const first = runsOf((await all()).slice(0, 1))[0]!.tick;
        const killAndRestart = async (index: number) => {
          procs[index]!.signal('SIGKILL');
          await procs[index]!.exited;
          procs[index] = startWorker(world, store);
        };
        let kills = 0;
        for (const [i, point] of killPoints(TICKS).entries()) {
          await waitFor(`${point} ticks`, async () => (await count()) >= point, 60_000);
          const victims = i === 0 ? [0, 1] : [Math.floor(Math.random() * procs.length)];
          await Promise.all(victims.map(killAndRestart));
          kills += victims.length;
        }
        await waitFor(`${TICKS} ticks`, async () => (await count()) >= TICKS, 90_000);
        for (const proc of procs) proc.signal('SIGKILL');
        await Promise.all(procs.map((p) => p.exited));
        const runs = runsOf(await all());
        const ticks = runs.map((r) => r.tick);
        const last = Math.max(...ticks);
        const expected = Array.from({ length: (last - first) / 1000 + 1 }, (_, i) => first + i * 1000);
        t.diagnostic(`${kind}: ticks fired ${ticks.length}, expected ${expected.length}, distinct ${new Set(ticks).size}, kill -9 ${kills}`);
        assert.equal(new Set(runs.map((r) => r.id)).size, runs.length);
        assert.deepEqual([...ticks].sort((a, b) => a - b), expected, 'one enqueue per tick, none twice, none missing');
      } finally {
        await reader?.close();
      }
    });
  });
}

type Kind = 'redis' | 'sqlite';
async function withErrand(kind: Kind, body: (errand: Errand, queue: () => Promise<Run[]>) => Promise<void>, options: { schedules?: ScheduleDefinition[] } = {}): Promise<void> {
  const namespace = uniqueNamespace('errand-sched');
  const dir = mkdtempSync(join(tmpdir(), 'errand-sched-'));
  const errand = createErrand({ url: kind === 'redis' ? REDIS_URL : `sqlite:${join(dir, 'sched.db')}`, namespace, ...options });
  try {
    const admin = await errand.admin();
    await body(errand, async () => runsOf(await admin.peek('sched-inproc', 0, 100_000)));
  } finally {
    await errand.close();
    if (kind === 'redis') await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  }
}

const job = defineJob({ name: 'InProcTick', queue: 'sched-inproc', perform: async (_label: string) => {} });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A worker that runs `schedules` and takes no job from their queue. */
async function scheduling(errand: Errand, schedules: ScheduleDefinition[]) {
  const worker = errand.worker({ queues: 'sched-none', schedules });
  await worker.start();
  return worker;
}

// These wait on one-second ticks in this process, using little CPU, each in a namespace (or an
// SQLite file) of its own: they run side by side rather than one after another.
describe('in-process schedulers', { concurrency: true }, () => {
  for (const kind of ['redis', 'sqlite'] as const) {
    test(`ticks missed while no process ran: skipped by default, caught up (and marked) with catchUp (${kind})`, async () => {
      await withErrand(kind, async (errand, queued) => {
        const skip = defineSchedule({ name: 'skip', every: '1s', job, args: ['skip'] });
        const catchUp = defineSchedule({ name: 'catch', every: '1s', job, args: ['catch'], catchUp: '1h' });
        let worker = await scheduling(errand, [skip, catchUp]);
        await waitFor('both schedules to run once', async () => new Set((await queued()).map((r) => r.tick)).size >= 1 && (await queued()).length >= 2);
        await worker.stop();
        const downAt = Math.max(...(await queued()).map((r) => r.tick));
        await sleep(3_500); // every process down across three ticks
        worker = await scheduling(errand, [skip, catchUp]);
        const admin = await errand.admin();
        const of = async (label: string) => (await admin.peek('sched-inproc', 0, 1000)).map((p) => JSON.parse(p)).filter((j) => j.args[0] === label);
        await waitFor('a tick after the restart', async () => (await of('skip')).some((j) => j.schedule.tick > downAt + 3_000));
        await worker.stop();
        const caught = (await of('catch')).map((j) => j.schedule);
        const skipped = (await of('skip')).map((j) => j.schedule.tick);
        const caughtTicks = caught.map((s) => s.tick).sort((a, b) => a - b);
        for (let i = 1; i < caughtTicks.length; i++) assert.equal(caughtTicks[i]! - caughtTicks[i - 1]!, 1_000, 'catch-up leaves no hole');
        assert.ok(caught.some((s) => s.caught_up === true), 'the late runs are marked caughtUp');
        assert.ok(skipped.length < caughtTicks.length, `default skips missed ticks (${skipped.length} vs ${caughtTicks.length})`);
        assert.equal(new Set(skipped).size, skipped.length);
      });
    });

    test(`overlap: false skips ticks while the previous run waits (${kind})`, async () => {
      await withErrand(kind, async (errand, queued) => {
        const lone = defineSchedule({ name: 'lone', every: '1s', job, args: ['lone'], overlap: false });
        const worker = await scheduling(errand, [lone]);
        const store = (await errand.store()).schedules();
        await waitFor('three ticks handled', async () => {
          const state = (await store.list()).find((s) => s.name === 'lone');
          return state?.cursor !== undefined && state.lastRunTick !== undefined && state.cursor >= state.lastRunTick + 2_000;
        });
        await worker.stop();
        assert.equal((await queued()).length, 1);
        assert.equal((await store.list()).find((s) => s.name === 'lone')!.lastOutcome, 'overlap');
      });
    });

    test(`pause and resume at runtime (state in the store); a schedule removed from code stops (${kind})`, async () => {
      await withErrand(kind, async (errand, queued) => {
        const kept = defineSchedule({ name: 'kept', every: '1s', job, args: ['kept'] });
        const dropped = defineSchedule({ name: 'dropped', every: '1s', job, args: ['dropped'] });
        let worker = await scheduling(errand, [kept, dropped]);
        const store = (await errand.store()).schedules();
        const count = async (label: string) => (await (await errand.admin()).peek('sched-inproc', 0, 1000)).filter((p) => p.includes(`"args":["${label}"]`)).length;
        await waitFor('both run', async () => (await count('kept')) >= 1 && (await count('dropped')) >= 1);
        assert.equal(await store.setPaused('kept', true), true);
        const pausedAt = await count('kept');
        await waitFor('two paused ticks', async () => ((await store.list()).find((s) => s.name === 'kept')!.lastOutcome === 'paused'));
        await sleep(1_100);
        assert.equal(await count('kept'), pausedAt);
        await store.setPaused('kept', false);
        await waitFor('a run after resume', async () => (await count('kept')) > pausedAt);
        await worker.stop();
        // The next deploy no longer has `dropped`.
        const droppedRuns = await count('dropped');
        worker = await scheduling(errand, [kept]);
        const keptBefore = await count('kept');
        await waitFor('kept runs twice more', async () => (await count('kept')) >= keptBefore + 2);
        await worker.stop();
        assert.equal(await count('dropped'), droppedRuns);
        assert.equal(new Set((await queued()).map((r) => r.id)).size, (await queued()).length);
      });
    });

    test(`an edited schedule running beside its old definition (a rolling deploy) fires each tick once (${kind})`, async () => {
      await withErrand(kind, async (errand, queued) => {
        const old = defineSchedule({ name: 'edited', cron: '*/1 * * * * *', job, args: ['x'] });
        const edited = defineSchedule({ name: 'edited', every: '2s', job, args: ['x'] });
        const a = await scheduling(errand, [old]);
        const b = await scheduling(errand, [edited]);
        await waitFor('six runs', async () => (await queued()).length >= 6);
        await Promise.all([a.stop(), b.stop()]);
        const ticks = (await queued()).map((r) => r.tick);
        assert.equal(new Set(ticks).size, ticks.length, 'no tick enqueued twice');
      });
    });

    test(`createErrand({ schedules }): a worker of the instance runs them beside its own, one name per schedule (${kind})`, async () => {
      const instance = defineSchedule({ name: 'instance', every: '1s', job, args: ['instance'] });
      const own = defineSchedule({ name: 'own', every: '1s', job, args: ['own'] });
      await withErrand(kind, async (errand) => {
        const twin = defineSchedule({ name: 'instance', every: '2s', job, args: ['twin'] });
        assert.throws(() => errand.worker({ queues: 'sched-none', schedules: [twin] }), { name: 'ConfigError', message: /two schedules are named instance/ });
        const labels = async () => (await (await errand.admin()).peek('sched-inproc', 0, 1000)).map((p) => JSON.parse(p).args[0] as string);
        const worker = await scheduling(errand, [own]);
        await waitFor('both schedules to run', async () => { const l = await labels(); return l.includes('instance') && l.includes('own'); });
        await worker.stop();
        assert.deepEqual((await (await errand.store()).schedules().list()).map((s) => s.name).sort(), ['instance', 'own']);
        assert.ok(!(await labels()).includes('twin'));
      }, { schedules: [instance] });
    });
  }
});

test('errand schedules: list with next and last run, run NAME now, pause and resume NAME, unknown names refused', { timeout: 60_000 }, async () => {
  await inWorld(async (world) => {
    const store = (await world.client().store()).schedules();
    await store.declare([{ name: 'nightly', definition: JSON.stringify({ cron: '0 3 * * *', timezone: 'Europe/Paris', job: 'NightlyReport', queue: 'reports', args: [7] }) }]);
    const list = await world.run(['schedules', ...world.store]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /nightly\n  cron 0 3 \* \* \* Europe\/Paris -> NightlyReport on reports\n  next 20\d\d-\d\d-\d\dT0[12]:00:00.000Z   last run -/);
    const ran = await world.run(['schedules', 'run', 'nightly', ...world.store]);
    assert.equal(ran.code, 0, ran.stderr);
    const [payload] = await world.redis.lrange(world.key('queue:reports'), 0, -1);
    assert.match(payload!, /^\{"class":"NightlyReport","args":\[7\],"id":"[0-9a-f-]{36}","queue":"reports","enqueued_at":\d+,"attempt":1,"schedule":\{"name":"nightly","tick":\d+,"caught_up":false\}\}$/);
    // The last run names its job (its state is looked up by id); the last tick says it is the claim's result.
    const listed = (await world.run(['schedules', ...world.store])).stdout;
    assert.ok(listed.includes(` (job ${JSON.parse(payload!).id})\n`), listed);
    assert.match(listed, /\n  last tick \S+ \(what the claim did, not how the job ended\)\n/);
    assert.equal((await world.run(['schedules', 'pause', 'nightly', ...world.store])).code, 0);
    assert.match((await world.run(['schedules', ...world.store])).stdout, /nightly  PAUSED/);
    assert.equal((await world.run(['schedules', 'resume', 'nightly', ...world.store])).code, 0);
    assert.equal((await store.list())[0]!.paused, false);
    const unknown = await world.run(['schedules', 'pause', 'nope', ...world.store]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no schedule named nope/);
    assert.equal((await world.run(['schedules', 'explode', 'nightly', ...world.store])).code, 2);
  });
});

// Catches: a claim queued on a frozen connection and replayed after the thaw enqueuing a tick a
// second time (by the same or the other process), or the scheduler stopping after the freeze.
test('a store frozen (SIGSTOP) across ticks: after the thaw no tick fires twice and every later tick fires', { timeout: 60_000 }, async (t) => {
  const server = await PrivateRedis.start();
  const errands = [createErrand({ url: server.url, namespace: 'freeze' }), createErrand({ url: server.url, namespace: 'freeze' })];
  try {
    const every = defineSchedule({ name: 'frozen', every: '1s', job, args: ['frozen'] });
    const workers = await Promise.all(errands.map((errand) => scheduling(errand, [every])));
    const admin = await errands[0]!.admin();
    const queued = async () => runsOf(await admin.peek('sched-inproc', 0, 100_000));
    await waitFor('two ticks before the freeze', async () => (await queued()).length >= 2);
    server.freeze();
    await sleep(3_500);
    server.thaw();
    const thawedAt = Date.now();
    await waitFor('three ticks due after the thaw', async () => (await queued()).filter((r) => r.tick > thawedAt).length >= 3, 30_000);
    await Promise.all(workers.map((worker) => worker.stop()));
    const runs = await queued();
    const ticks = runs.map((r) => r.tick).sort((a, b) => a - b);
    t.diagnostic(`ticks ${ticks.length}, distinct ${new Set(ticks).size}, gaps ${ticks.slice(1).map((tick, i) => (tick - ticks[i]!) / 1000).filter((gap) => gap > 1).join(',') || 'none'}`);
    assert.equal(new Set(ticks).size, ticks.length, 'no tick enqueued twice');
    assert.equal(new Set(runs.map((r) => r.id)).size, runs.length);
    const after = ticks.filter((tick) => tick > thawedAt);
    assert.deepEqual(after, Array.from({ length: after.length }, (_, i) => after[0]! + i * 1000), 'every tick after the thaw, none missing');
  } finally {
    await Promise.all(errands.map((errand) => errand.close()));
    await server.stop();
  }
});
