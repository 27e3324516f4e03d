// What an enqueue resolves to, and errand.job(id) on what it returns (issue #14, part 4), on both
// stores: every enqueue resolves to the job's id, name, queue and args, delayed ones with their
// runAt; null only for a beforeEnqueue veto (nothing stored); job(id) follows the job from
// waiting to in flight to failed, and a finished job is unknown. Real Redis (own namespace) and a
// SQLite file under the temp folder. A Ruby worker's job in flight is found by worker:<id>.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createErrand, defineJob, type Errand, type JobContext, type Plugin } from '../src/index.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const vetoOdd: Plugin = { beforeEnqueue: (job) => (job.args[0] as number) % 2 === 0 };

const stores = {
  redis: async (fn: (errand: Errand) => Promise<void>, plugins: Plugin[] = []) => {
    const namespace = uniqueNamespace('errand-result');
    const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet, plugins });
    try {
      await fn(errand);
    } finally {
      await errand.close();
      await deleteNamespace(namespace);
    }
  },
  sqlite: async (fn: (errand: Errand) => Promise<void>, plugins: Plugin[] = []) => {
    const dir = mkdtempSync(join(tmpdir(), 'errand-result-'));
    const errand = createErrand({ url: `sqlite:${join(dir, 'errand.db')}`, logger: quiet, plugins });
    try {
      await fn(errand);
    } finally {
      await errand.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

for (const [kind, withErrand] of Object.entries(stores)) {
  test(`${kind}: enqueue resolves to the id, queue and args; delayed ones to their runAt; job(id) finds each`, async () => {
    await withErrand(async (errand) => {
      const job = defineJob({ name: `Result_${kind}`, queue: `result-${kind}`, perform(_n: number) {} });
      const now = await errand.enqueue(job, 1);
      assert.ok(now, 'not vetoed');
      assert.match(now.id, /^[0-9a-f-]{36}$/);
      const { id, name, queue, args, runAt, enqueuedAt } = now;
      assert.deepEqual({ name, queue, args, runAt }, { name: job.name, queue: job.queue, args: [1], runAt: undefined });
      assert.ok(enqueuedAt <= Date.now(), 'enqueuedAt is the enqueue time');
      assert.equal(JSON.parse((await (await errand.admin()).peek(job.queue, 0, 1))[0]!).id, id, 'the id is the payload\'s');
      const before = Date.now();
      const later = await errand.enqueueIn('1h', job, 2);
      assert.ok(later?.runAt !== undefined && later.runAt >= before + 3_600_000 && later.runAt <= Date.now() + 3_600_000, `runAt ${later?.runAt}`);
      const at = new Date(Date.now() + 7_200_000);
      assert.equal((await errand.enqueueAt(at, job, 3))?.runAt, at.getTime());
      const bulk = await errand.enqueueBulk(job, [[4], [5]]);
      assert.deepEqual(bulk.map((j) => j.args), [[4], [5]]);
      assert.equal(new Set([now.id, later!.id, ...bulk.map((j) => j.id)]).size, 4, 'every job its own id');

      assert.deepEqual(await errand.job(now.id), { state: 'waiting', id: now.id, queue: job.queue, position: 0, payload: (await (await errand.admin()).peek(job.queue, 0, 1))[0] });
      assert.equal((await errand.job(bulk[1]!.id)).state === 'waiting' && ((await errand.job(bulk[1]!.id)) as { position: number }).position, 2);
      const scheduled = await errand.job(later!.id);
      assert.equal(scheduled.state, 'scheduled');
      // Store time: the store shares this machine's clock give or take a minute.
      assert.ok(scheduled.state === 'scheduled' && Math.abs(scheduled.runAt - later!.runAt!) < 60_000);
    });
  });

  test(`${kind}: a vetoed enqueue resolves to null and stores nothing`, async () => {
    await withErrand(async (errand) => {
      const job = defineJob({ name: `ResultVeto_${kind}`, queue: `result-veto-${kind}`, perform(_n: number) {} });
      assert.equal(await errand.enqueue(job, 1), null);
      assert.equal(await errand.enqueueIn('1h', job, 3), null);
      assert.notEqual(await errand.enqueue(job, 2), null);
      assert.deepEqual((await errand.enqueueBulk(job, [[5], [6], [7]])).map((j) => j.args), [[6]], 'vetoed ones are left out');
      const stats = await (await errand.admin()).stats();
      assert.equal(stats.queues.find((q) => q.name === job.queue)?.size, 2);
      assert.equal(stats.scheduled, 0);
    }, [vetoOdd]);
  });

  test(`${kind}: job(id) follows a job from waiting to in flight to failed; a finished job is unknown`, async () => {
    await withErrand(async (errand) => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let started = false;
      const job = defineJob({
        name: `ResultLife_${kind}`, queue: `result-life-${kind}`,
        async perform(outcome: 'ok' | 'fail', _ctx: JobContext) {
          started = true;
          await held;
          if (outcome === 'fail') throw new Error('the printer is on fire');
        },
      });
      const doomed = (await errand.enqueue(job, 'fail'))!;
      const fine = (await errand.enqueue(job, 'ok'))!;
      const worker = errand.worker({ queues: job.queue, concurrency: 1 });
      await worker.start();
      await waitFor('the first job started', () => started);
      const running = await errand.job(doomed.id);
      assert.equal(running.state, 'in-flight');
      assert.ok(running.state === 'in-flight' && running.worker.endsWith(`:${job.queue}`) && running.instance?.startsWith(running.worker), JSON.stringify(running));
      release();
      const failed = await waitFor('failed', async () => {
        const state = await errand.job(doomed.id);
        return state.state === 'failed' ? state : null;
      });
      assert.equal(failed.error, 'the printer is on fire');
      assert.equal(failed.exception, 'Error');
      assert.equal(failed.queue, job.queue);
      await waitFor('the second job finished', async () => (await errand.job(fine.id)).state === 'unknown');
      await worker.stop();
    });
  });
}

test('redis: a job a Ruby worker runs is found in flight by its worker:<id> entry', async () => {
  await stores.redis(async (errand) => {
    const redis = new Redis(REDIS_URL);
    try {
      // What Ruby Resque writes while it works a job: workers set + worker:<id> {queue, run_at, payload}.
      const namespace = (errand as unknown as { options: { namespace: string } }).options.namespace;
      const rubyId = 'ruby-host:4242:mail';
      const payload = { class: 'MailJob', args: [1], id: 'ruby-job-1' };
      await redis.sadd(`${namespace}:workers`, rubyId);
      await redis.set(`${namespace}:worker:${rubyId}`, JSON.stringify({ queue: 'mail', run_at: '2026-11-28T01:02:03Z', payload }));
      assert.deepEqual(await errand.job('ruby-job-1'),
        { state: 'in-flight', id: 'ruby-job-1', queue: 'mail', instance: undefined, worker: rubyId, since: '2026-11-28T01:02:03Z', payload: JSON.stringify(payload) });
      assert.equal((await errand.job('ruby-job')).state, 'unknown');
    } finally {
      redis.disconnect();
    }
  });
});
