// Unknown jobs during a deploy (issue #10, item 7): a payload naming a job this worker does not
// know goes back to the scheduled set with a growing delay for about an hour, without spending
// the job's attempts, so a worker that knows it runs it once deployed; after the window it fails
// with UnknownJobError. And `errand work` without a queue list takes its jobs' queues, not '*'.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createErrand, defineJob, UnknownJobError, type JobContext } from '../src/index.ts';
import { defaults } from '../src/defaults.ts';
import { decodePayload, encodeRequeue, encodeRetry } from '../src/job/payload.ts';
import { unknownJobDecision } from '../src/worker/unknown-job.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';
import { inWorld } from './support/cli-harness.ts';
import { jobFile } from './support/errand-bin.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const mid = () => 0.5; // no jitter

test('an unknown job is put back, class and args first, attempt unchanged, the wait recorded', () => {
  const now = 1_000_000_000_000;
  const job = decodePayload('{"class":"Later","args":[1,"a"],"id":"j1","queue":"q","enqueued_at":5,"attempt":2,"custom":true}');
  const first = unknownJobDecision(job, ['Known'], now, mid);
  assert.equal(first.kind, 'defer');
  if (first.kind !== 'defer') return;
  assert.equal(first.delayMs, defaults.unknownJob.firstDelayMs);
  assert.equal(first.runAt, now + first.delayMs);
  const raw = JSON.parse(first.payload) as Record<string, unknown>;
  assert.deepEqual(Object.keys(raw), ['class', 'args', 'id', 'queue', 'enqueued_at', 'attempt', 'custom', 'unknown_since', 'unknown_deferrals']);
  assert.deepEqual(raw, { class: 'Later', args: [1, 'a'], id: 'j1', queue: 'q', enqueued_at: 5, attempt: 2, custom: true, unknown_since: now, unknown_deferrals: 1 });
  // Ruby-written args-before-class payloads come out in Resque's order too.
  const ruby = unknownJobDecision(decodePayload('{"args":[],"class":"Later"}'), [], now, mid);
  assert.ok(ruby.kind === 'defer' && ruby.payload.startsWith('{"class":"Later","args":[]'));
});

test('the waits double from 5 s up to 5 min, jittered, for about an hour; then UnknownJobError', () => {
  let now = 0;
  let payload = '{"class":"Later","args":[]}';
  const delays: number[] = [];
  for (;;) {
    const decision = unknownJobDecision(decodePayload(payload), ['Known'], now, mid);
    if (decision.kind === 'fail') {
      assert.ok(decision.error instanceof UnknownJobError);
      assert.match(decision.error.message, /^unknown job "Later": this worker knows Known\. Load its definition with --require\. No worker that knows it took it in the 6\d min/);
      break;
    }
    delays.push(decision.delayMs);
    now = decision.runAt;
    payload = decision.payload;
  }
  assert.deepEqual(delays.slice(0, 7), [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000]);
  assert.ok(delays.every((d) => d <= 300_000));
  assert.ok(now >= 3_600_000 && now < 3_600_000 + 300_000, `failed after ${now} ms`);
  assert.equal(delays.length, 17);
  const low = unknownJobDecision(decodePayload('{"class":"Later","args":[]}'), [], 0, () => 0);
  assert.ok(low.kind === 'defer' && low.delayMs === 0.8 * 5_000, '±20 % jitter');
  const future = unknownJobDecision(decodePayload('{"class":"Later","args":[],"unknown_since":9000000000000}'), [], now, mid);
  assert.ok(future.kind === 'defer' && JSON.parse(future.payload).unknown_since === now, 'a time from the future counts as now');
});

test('a retry or a retry from failed starts a fresh wait', () => {
  const job = decodePayload('{"class":"Later","args":[],"attempt":1,"unknown_since":5,"unknown_deferrals":3}');
  const retried = JSON.parse(encodeRetry(job, 'id', { attempt: 1, at: 'now', exception: 'Error', error: 'x' }));
  assert.equal(retried.unknown_since, undefined);
  assert.equal(retried.unknown_deferrals, undefined);
  const requeued = JSON.parse(encodeRequeue(job.raw));
  assert.deepEqual(Object.keys(requeued), ['class', 'args', 'attempt']);
});

test('in process: a worker that does not know a job puts it back, one that knows it runs it once, attempt unchanged', async () => {
  const namespace = uniqueNamespace('errand-unknown');
  const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet });
  try {
    const admin = await errand.admin();
    const old = errand.worker({ queues: 'uk-deploy' });
    await old.start(); // knows only the jobs defined so far: not UkLate
    const ran: number[] = [];
    const late = defineJob({ name: 'UkLate', queue: 'uk-deploy', perform(_n: number, ctx: JobContext) { ran.push(ctx.attempt); } });
    await (await errand.store()).push([{ queue: 'uk-deploy', payload: '{"class":"UkLate","args":[7],"attempt":2}' }]);
    await errand.enqueue(late, 8); // announces: the old worker wakes and takes both
    await waitFor('both put back to the scheduled set', async () => (await admin.scheduledCount()) === 2 && (await admin.stats()).queues.every((q) => q.size === 0));
    assert.equal(await admin.failedCount(), 0, 'not failed at once');
    await old.stop();
    const fresh = errand.worker({ queues: 'uk-deploy' }); // "deployed": knows UkLate
    await fresh.start();
    await waitFor('the new worker ran both once the wait was over', () => ran.length === 2, 30_000);
    assert.deepEqual(ran.sort(), [1, 2], 'each kept its attempt number: no attempt was spent');
    assert.equal(await admin.failedCount(), 0);
    await fresh.stop();
  } finally {
    await errand.close();
    await deleteNamespace(namespace);
  }
});

test('in process: a job unknown for longer than the window fails with UnknownJobError', async () => {
  const namespace = uniqueNamespace('errand-unknown');
  const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet });
  try {
    const since = Date.now() - defaults.unknownJob.windowMs - 1_000;
    await (await errand.store()).push([{ queue: 'uk-old', payload: `{"class":"UkNever","args":[1],"attempt":1,"unknown_since":${since},"unknown_deferrals":17}` }]);
    const worker = errand.worker({ queues: 'uk-old' });
    await worker.start();
    const admin = await errand.admin();
    const [failed] = await waitFor('the failure', async () => ((await admin.failedCount()) === 1 ? admin.failed(0, 1) : null));
    assert.equal(failed!.entry!.exception, 'UnknownJobError');
    assert.match(String(failed!.entry!.error), /^unknown job "UkNever": this worker knows .*No worker that knows it took it in the 60 min/);
    assert.deepEqual(Object.keys(failed!.entry!.payload as object).slice(0, 2), ['class', 'args']);
    assert.equal(await admin.scheduledCount(), 0);
    await worker.stop();
  } finally {
    await errand.close();
    await deleteNamespace(namespace);
  }
});

test('rolling deploy through errand work: the old worker puts the new job back, the new one runs it once', () => inWorld(async (world) => {
  // Registered means its signal handlers are in (errand work installs them before start()).
  const registered = { waitForHeartbeat: false };
  const { proc: old } = await world.worker(['--queues', 'deploy'], {}, registered); // test/fixtures/cli-jobs.ts only
  const deployed = defineJob({ name: 'UcDeployed', queue: 'deploy', perform(_key: string) {} }); // this process only enqueues
  await world.client().enqueue(deployed, 'k1');
  const admin = await world.client().admin();
  await waitFor('the old worker put it back', async () => (await admin.scheduledCount()) === 1 && (await world.redis.llen(world.key('queue:deploy'))) === 0);
  assert.equal(await admin.failedCount(), 0, 'not failed at once');
  // The new release starts, then the old one stops: the job runs on the new one.
  await world.worker(['--require', jobFile('test/fixtures/uc-deploy-new.ts'), '--queues', 'deploy'], {}, registered);
  old.signal('SIGTERM');
  assert.equal((await old.waitExit()).code, 0);
  await waitFor('the new worker ran it', () => world.has('deployed k1 attempt 1'), 45_000);
  assert.deepEqual(world.lines().filter((line) => line.startsWith('deployed')), ['deployed k1 attempt 1']);
  assert.equal(await admin.failedCount(), 0);
  assert.match(old.stdout + old.stderr, /does not know this job; put back for a worker that does/);
}));

test('errand work without --queues takes the queues of its jobs, not every queue', () => inWorld(async (world) => {
  const { id, proc } = await world.worker([], {}, { waitForHeartbeat: false });
  assert.equal(id.split(':').slice(2).join(':'), 'default,file', `worker id ${id}`);
  assert.match(proc.stdout + proc.stderr, /no --queues given: taking jobs from the queues of the loaded jobs/);
  const help = await world.run(['work', '--help']);
  assert.match(help.stdout.replace(/\s+/g, ' '), /else the queues of the jobs the --require files define, in the order they are defined; not \*/);
}));
