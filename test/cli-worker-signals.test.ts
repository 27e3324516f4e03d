// The worker process and its signals, with real `errand work` processes against real
// Redis: TERM finishes or puts back running jobs and exits 0, QUIT waits for running jobs, USR2 /
// CONT pause and resume, a second INT forces, pause-all-workers pauses from another client, and
// the jobs of a worker killed with -9 are run by another worker (--dead-after 2s). Each test has
// its own namespace; exits are awaited with generous limits, never asserted to be quick.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inWorld, waitFor, type World } from './support/cli-harness.ts';
import { Record, Sleep, Stubborn } from './fixtures/cli-jobs.ts';

/** Waits until the worker's log (JSON lines on stdout) has a line with this message. */
function logged(proc: { stdout: string }, msg: string): boolean {
  return proc.stdout.split('\n').some((line) => line.includes(`"msg":"${msg}`));
}

async function inflight(world: World, workerId: string): Promise<string[]> {
  return world.redis.hvals(world.key(`errand:inflight:${workerId}`));
}

/**
 * How long a paused worker is watched for taking a job it must not take. The enqueue's wake-up
 * announcement reaches it at once and, with --interval 1, it looks again every second: a worker
 * that had not paused would take the job within milliseconds, so this is many chances to.
 */
const GRACE_MS = 1_500;

describe('errand work: signals', { concurrency: true }, () => {
  test('SIGTERM: running jobs finish, the process exits 0 and leaves <ns>:workers', () => inWorld(async (world) => {
    const { proc, id } = await world.worker(['--queues', 'default', '--concurrency', '2']);
    await world.client().enqueueBulk(Sleep, [['a', 400], ['a2', 600]]);
    await waitFor('jobs a and a2 to start', () => world.has('start a') && world.has('start a2'));
    proc.signal('SIGTERM');
    const result = await proc.waitExit();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(world.has('sleep a') && world.has('sleep a2'), 'the running jobs finished');
    assert.equal(await world.redis.sismember(world.key('workers'), id), 0);
    assert.equal(await world.redis.llen(world.key('queue:default')), 0);
    assert.deepEqual(await inflight(world, id), []);
  }));

  test('SIGTERM with --shutdown-timeout 1s: a job ignoring its signal is put back on its queue, not lost', (t) => inWorld(async (world) => {
    const { proc, id } = await world.worker(['--queues', 'default', '--shutdown-timeout', '1s']);
    const job = await world.client().enqueue(Stubborn, 'b', 60_000);
    await waitFor('job b to start', () => world.has('start b'));
    proc.signal('SIGTERM');
    const queued = await waitFor('job b back on <ns>:queue:default', async () => {
      const list = await world.redis.lrange(world.key('queue:default'), 0, -1);
      return list.length === 1 ? list : undefined;
    });
    const payload = JSON.parse(queued[0]!) as { class: string; args: unknown[]; id: string };
    assert.equal(payload.class, 'Stubborn');
    assert.deepEqual(payload.args, ['b', 60_000]);
    assert.equal(payload.id, job!.id);
    await waitFor('the worker to leave <ns>:workers', async () => (await world.redis.sismember(world.key('workers'), id)) === 0);
    assert.deepEqual(await inflight(world, id), []);
    assert.ok(!world.has('stubborn b'), 'the job had not finished when it was put back');

    await t.test('the process exits 0 after the deadline, although the abandoned job still sleeps', async () => {
      // The job sleeps a minute: an exit well before that shows the process did not wait for it.
      const result = await proc.waitExit(30_000);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(!world.has('stubborn b'), 'the process exited before the abandoned job ended');
    });
  }));

  test('SIGQUIT waits for a running job longer than the shutdown timeout, and it completes', () => inWorld(async (world) => {
    const { proc, id } = await world.worker(['--queues', 'default', '--shutdown-timeout', '1s']);
    await world.client().enqueue(Sleep, 'q', 2_500);
    await waitFor('job q to start', () => world.has('start q'));
    proc.signal('SIGQUIT');
    const result = await proc.waitExit();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(world.has('sleep q'), 'the job ran to its end');
    assert.equal(await world.redis.llen(world.key('queue:default')), 0, 'nothing was put back');
    assert.equal(await world.redis.sismember(world.key('workers'), id), 0);
  }));

  test('SIGUSR2 pauses (jobs enqueued afterwards stay queued), SIGCONT resumes (they run)', () => inWorld(async (world) => {
    const { proc } = await world.worker(['--queues', 'default', '--interval', '1']);
    proc.signal('SIGUSR2');
    await waitFor('the worker to log that it paused', () => logged(proc, 'paused'));
    await world.client().enqueue(Record, 'p1');
    await world.client().enqueue(Record, 'p2');
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS));
    assert.equal(await world.redis.llen(world.key('queue:default')), 2, 'a paused worker takes no job');
    assert.deepEqual(world.lines(), []);
    proc.signal('SIGCONT');
    await waitFor('both jobs to run after SIGCONT', () => world.has('record p1') && world.has('record p2'));
    assert.equal(await world.redis.llen(world.key('queue:default')), 0);
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
  }));

  test('a second SIGINT forces a non-zero exit; the held job stays in the in-flight hash (recoverable)', () => inWorld(async (world) => {
    const { proc, id } = await world.worker(['--queues', 'default', '--shutdown-timeout', '30s']);
    await world.client().enqueue(Sleep, 'f', 60_000);
    await waitFor('job f to start', () => world.has('start f'));
    proc.signal('SIGINT');
    await waitFor('the worker to log the graceful stop', () => logged(proc, 'stopping'));
    proc.signal('SIGINT');
    // With a 30 s shutdown timeout and a job of a minute, only forcing ends the process.
    const result = await proc.waitExit(25_000);
    assert.notEqual(result.code, 0, 'a forced exit is not a clean one');
    const held = await inflight(world, id);
    assert.equal(held.length, 1, 'the job is still held, for crash recovery to hand back');
    assert.match(held[0]!, /"class":"Sleep","args":\["f",60000\]/);
    assert.ok(!world.has('sleep f'));
  }));

  test('<ns>:pause-all-workers = "true" set by another client pauses a running worker; deleting it resumes', () => inWorld(async (world) => {
    const { proc } = await world.worker(['--queues', 'default', '--interval', '1']);
    await world.redis.set(world.key('pause-all-workers'), 'true');
    await waitFor('the worker to log that pause-all-workers paused it', () => logged(proc, 'pause-all-workers is set'));
    await world.client().enqueue(Record, 'x1');
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS));
    assert.equal(await world.redis.llen(world.key('queue:default')), 1, 'a paused worker takes no job');
    assert.deepEqual(world.lines(), []);
    await world.redis.del(world.key('pause-all-workers'));
    await waitFor('the job to run once the pause is lifted', () => world.has('record x1'));
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
  }));

  test('kill -9 with a job in flight: another worker picks the job up again and completes it', () => inWorld(async (world) => {
    const first = await world.worker(['--queues', 'default', '--dead-after', '2s']);
    await world.client().enqueue(Sleep, 'k', 1_000);
    await waitFor('job k to start in the first worker', () => world.has('start k'));
    assert.equal((await inflight(world, first.id)).length, 1);
    first.proc.signal('SIGKILL');
    await first.proc.waitExit();
    assert.ok(!world.has('sleep k'));
    // The dead worker's heartbeat must age past the survivor's --dead-after before it hands the job back.
    const second = await world.worker(['--queues', 'default', '--interval', '1', '--dead-after', '2s']);
    await waitFor('job k to complete in the second worker', () => world.has('sleep k'), 20_000);
    assert.ok(world.lines().filter((line) => line === 'start k').length >= 2, 'run again by the second worker');
    await waitFor('the dead worker to be removed from <ns>:workers', async () => (await world.redis.sismember(world.key('workers'), first.id)) === 0);
    assert.deepEqual(await inflight(world, first.id), []);
    second.proc.signal('SIGTERM');
    assert.equal((await second.proc.waitExit()).code, 0);
  }));

  test('TERM as soon as workers show in <ns>:workers still stops them gracefully', () => inWorld(async (world) => {
    const workers = await Promise.all([1, 2, 3].map(async () => {
      const worker = await world.worker(['--queues', 'default'], {}, { waitForHeartbeat: false });
      worker.proc.signal('SIGTERM');
      return worker;
    }));
    for (const { proc, id } of workers) {
      const result = await proc.waitExit();
      assert.equal(result.code, 0, `exit ${result.code} signal ${result.signal}`);
      assert.equal(await world.redis.sismember(world.key('workers'), id), 0);
    }
  }));
});
