// User code cannot kill or stall a worker (issue #10, item 6): job options are checked when the
// job is defined (also through `errand work --require` on plain JavaScript files); a throwing
// retryOn, backoff or hook fails that job and the worker goes on; a job that ignores its signal
// past its timeout gives its slot back at the timeout, its outcome recorded then. Real Redis.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, createErrand, defineJob, JobTimeoutError, type JobContext, type Plugin } from '../src/index.ts';
import { specOf } from '../src/job/define.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';
import { inWorld } from './support/cli-harness.ts';
import { quiet, withErrand as withFreshErrand } from './support/errand.ts';


const withErrand = (fn: Parameters<typeof withFreshErrand>[0], options: Parameters<typeof withFreshErrand>[1] = {}) => withFreshErrand(fn, options, 'errand-uc');

/** A promise the test resolves when it chooses: stands in for a job that takes "forever". */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

test('retry options, timeout and plugins are checked at definition, naming the job and the option', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ retry: { delay: '5 minutes' } }, /job UcV: retry\.delay "5 minutes" is not a duration/],
    [{ retry: { attempts: 0 } }, /job UcV: retry\.attempts must be a whole number >= 1/],
    [{ retry: { attempts: '3' } }, /job UcV: retry\.attempts/],
    [{ retry: { attempts: 2.5 } }, /job UcV: retry\.attempts/],
    [{ retry: { backoff: 'linear' } }, /job UcV: retry\.backoff must be 'fixed', 'exponential' or a function/],
    [{ retry: { jitter: 2 } }, /job UcV: retry\.jitter must be a fraction from 0 to 1/],
    [{ retry: { jitter: Number.NaN } }, /job UcV: retry\.jitter/],
    [{ retry: { maxDelay: -1 } }, /job UcV: retry\.maxDelay/],
    [{ retry: { maxDelay: {} } }, /job UcV: retry\.maxDelay must be a duration/],
    [{ retry: { retryOn: true } }, /job UcV: retry\.retryOn must be a function/],
    [{ retry: { attemps: 3 } }, /job UcV: retry\.attemps is not a retry option \(known: attempts,/],
    [{ retry: 3 }, /job UcV: retry must be an object/],
    [{ timeout: '5 minutes' }, /job UcV: timeout "5 minutes" is not a duration/],
    [{ timeout: 0 }, /job UcV: timeout must be longer than 0 ms/],
    [{ timeout: null }, /job UcV: timeout must be a duration/],
    [{ plugins: [{ onFailure: 'log it' }] }, /job UcV: plugins\[0\]\.onFailure must be a function/],
  ];
  for (const [options, message] of bad) {
    assert.throws(() => defineJob({ name: 'UcV', perform() {}, ...options } as never), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `${JSON.stringify(options)}: ${String(error)}`);
      assert.match(error.message, message);
      return true;
    });
  }
  class UcResqueStyle {
    static queue = 'uc';
    static retry = { attempts: 3, backoff: 'sometimes' };
    static perform() {}
  }
  assert.throws(() => specOf(UcResqueStyle as never), /job UcResqueStyle: retry\.backoff/);
  assert.throws(() => createErrand({ url: REDIS_URL, jobs: [UcResqueStyle as never] }), /job UcResqueStyle: retry\.backoff/, 'createErrand({ jobs }) checks classes at once');
  assert.throws(() => createErrand({ url: REDIS_URL, plugins: [{ beforeJob: 42 }] as never }), /createErrand\(\): plugins\[0\]\.beforeJob must be a function/);
  const good = defineJob({ name: 'UcGood', retry: { attempts: 3, backoff: 'fixed', delay: '5m', jitter: 0, maxDelay: '1h' }, timeout: '30s', perform() {} });
  assert.deepEqual({ ...good.spec.retry }, { attempts: 3, backoff: 'fixed', delay: 300_000, jitter: 0, maxDelay: 3_600_000 });
  assert.equal(good.spec.timeoutMs, 30_000);
});

test('a throwing retryOn or backoff function fails that job with the error; the worker goes on', async () => {
  await withErrand(async (errand) => {
    const ran: string[] = [];
    const byRetryOn = defineJob({
      name: 'UcRetryOnThrows', queue: 'uc-policy', retry: { attempts: 3, retryOn: () => { throw new TypeError('retryOn is broken'); } },
      perform() { ran.push('retryOn'); throw new Error('attempt failed'); },
    });
    const byBackoff = defineJob({
      name: 'UcBackoffThrows', queue: 'uc-policy', retry: { attempts: 3, backoff: () => { throw new RangeError('backoff is broken'); } },
      perform() { ran.push('backoff'); throw new Error('attempt failed'); },
    });
    const after = defineJob({ name: 'UcAfterPolicy', queue: 'uc-policy', perform() { ran.push('after'); } });
    const worker = errand.worker({ queues: 'uc-policy', concurrency: 1 });
    await worker.start();
    await errand.enqueue(byRetryOn);
    await errand.enqueue(byBackoff);
    await errand.enqueue(after);
    await waitFor('the job after them ran', () => ran.includes('after'));
    const admin = await errand.admin();
    const failed = await waitFor('both in failed', async () => ((await admin.failedCount()) === 2 ? admin.failed(0, 2) : null));
    const [first, second] = failed.map((f) => f.entry!);
    assert.equal(first!.exception, 'RetryPolicyError');
    assert.match(String(first!.error), /^retry\.retryOn of job UcRetryOnThrows threw TypeError: retryOn is broken; the attempt itself failed with Error: attempt failed/);
    assert.ok((first!.backtrace as string[]).some((line) => line.includes('user-code.test.ts')), 'the backtrace points at the user function');
    assert.equal(second!.exception, 'RetryPolicyError');
    assert.match(String(second!.error), /^retry\.backoff of job UcBackoffThrows threw RangeError: backoff is broken/);
    assert.deepEqual(ran, ['retryOn', 'backoff', 'after'], 'each ran once: a broken policy is not retried');
    assert.equal(await admin.scheduledCount(), 0);
    assert.equal(worker.state, 'running');
    await worker.stop();
  });
});

test('a throwing beforeJob, beforePerform or afterPerform hook fails the job; a throwing onFailure is logged', async () => {
  const logged: string[] = [];
  const logger = { ...quiet, error: (_fields: unknown, message: string) => logged.push(message) };
  const throwsIn = (hook: string): Plugin => ({ [hook]: (job: { args: readonly unknown[] }) => { if (job.args[0] === hook) throw new Error(`${hook} broke`); } });
  // beforeJob is a worker hook (a global plugin); the others are the job's own plugins.
  const own = [throwsIn('beforePerform'), throwsIn('afterPerform'), { onFailure() { throw new Error('onFailure broke'); } }];
  await withErrand(async (errand) => {
    const job = defineJob({ name: 'UcHooked', queue: 'uc-hooks', plugins: own, perform(_which: string) {} });
    const worker = errand.worker({ queues: 'uc-hooks' });
    let completed = 0;
    worker.on('completed', () => completed++);
    await worker.start();
    await errand.enqueueBulk(job, [['beforeJob'], ['beforePerform'], ['afterPerform'], ['none']]);
    const admin = await errand.admin();
    await waitFor('three failures and one success', async () => completed === 1 && (await admin.failedCount()) === 3);
    const errors = (await admin.failed(0, 3)).map((f) => f.entry!.error);
    assert.deepEqual(errors, ['beforeJob broke', 'beforePerform broke', 'afterPerform broke']);
    assert.ok(logged.includes('onFailure hook threw; the job failure stands'));
    assert.equal(worker.state, 'running');
    await worker.stop();
  }, { logger, plugins: [throwsIn('beforeJob')] });
});

test('a job ignoring its signal past its timeout frees its slot then; its outcome is recorded then, its late end ignored', async () => {
  await withErrand(async (errand) => {
    const forever = gate();
    const hooks: string[] = [];
    const plugin: Plugin = {
      onFailure: (job, error) => { hooks.push(`onFailure ${job.args[0]} ${(error as Error).name}`); },
      afterPerform: (job) => { hooks.push(`afterPerform ${job.args[0]}`); },
    };
    const stubborn = defineJob({
      name: 'UcStubborn', queue: 'uc-timeout', timeout: 100, plugins: [plugin],
      async perform(key: string, ctx: JobContext) {
        if (key === 'obeys') return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
        await forever.opened; // ignores ctx.signal
        hooks.push(`late end ${key}`);
      },
    });
    const quick = defineJob({ name: 'UcQuick', queue: 'uc-timeout', perform() {} });
    const worker = errand.worker({ queues: 'uc-timeout', concurrency: 1 });
    const completed: string[] = [];
    const failed: unknown[] = [];
    worker.on('completed', (job) => completed.push(job.name));
    worker.on('failed', (_job, error) => failed.push(error));
    await worker.start();
    await errand.enqueue(stubborn, 'ignores');
    await errand.enqueue(quick);
    await errand.enqueue(stubborn, 'obeys');
    // Concurrency 1, and the first job never ends by itself: the others run only if its slot was freed.
    await waitFor('the quick job and the obeying job after the stubborn one', () => completed.includes('UcQuick') && failed.length === 2);
    assert.ok(failed.every((error) => error instanceof JobTimeoutError), 'both attempts end as JobTimeoutError');
    const admin = await errand.admin();
    await waitFor('both timeouts in failed', async () => (await admin.failedCount()) === 2);
    assert.deepEqual((await admin.failed(0, 2)).map((f) => f.entry!.exception), ['JobTimeoutError', 'JobTimeoutError']);
    await waitFor('onFailure ran for each timeout', () => hooks.length === 2);
    assert.deepEqual(hooks, ['onFailure ignores JobTimeoutError', 'onFailure obeys JobTimeoutError'], 'once each, with the timeout');
    forever.open();
    await waitFor('the stubborn job ends, late', () => hooks.includes('late end ignores'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(hooks.slice(2), ['late end ignores'], 'no afterPerform for a job already failed');
    assert.deepEqual(completed, ['UcQuick'], 'its late end is no completion');
    assert.equal(await admin.failedCount(), 2);
    await worker.stop();
  });
});

test('a beforeJob hook that never returns is bounded by the job timeout', async () => {
  const hangs: Plugin = { beforeJob: (job) => (job.name === 'UcHangingHook' ? new Promise(() => {}) : undefined) };
  await withErrand(async (errand) => {
    const job = defineJob({ name: 'UcHangingHook', queue: 'uc-hang', timeout: 100, perform() {} });
    const next = defineJob({ name: 'UcAfterHang', queue: 'uc-hang', perform() {} });
    const worker = errand.worker({ queues: 'uc-hang', concurrency: 1 });
    const completed: string[] = [];
    worker.on('completed', (info) => completed.push(info.name));
    await worker.start();
    await errand.enqueue(job);
    await errand.enqueue(next);
    await waitFor('the next job ran', () => completed.includes('UcAfterHang'));
    const admin = await errand.admin();
    await waitFor('the hung one failed', async () => (await admin.failedCount()) === 1);
    assert.equal((await admin.failed(0, 1))[0]!.entry!.exception, 'JobTimeoutError');
    await worker.stop();
  }, { plugins: [hangs] });
});

test('errand work refuses a .mjs job file with an invalid retry option at load, naming job and option', () => inWorld(async (world) => {
  const result = await world.run(['work', '--require', 'test/fixtures/uc-bad-retry.mjs', ...world.store], {}, 30_000);
  assert.equal(result.code, 1, `exit code (stderr: ${result.stderr})`);
  assert.match(result.stderr, /errand: --require test\/fixtures\/uc-bad-retry\.mjs: loading it failed: job UcBadRetry: retry\.delay "5 minutes" is not a duration: use milliseconds or forms like/);
  assert.equal(await world.redis.scard(world.key('workers')), 0, 'it never registered');
}));

test('errand work refuses a Resque-style class with an invalid timeout at load', () => inWorld(async (world) => {
  const result = await world.run(['work', '--require', 'test/fixtures/uc-bad-class.mjs', ...world.store], {}, 30_000);
  assert.equal(result.code, 1, `exit code (stderr: ${result.stderr})`);
  assert.match(result.stderr, /errand: job UcBadClass: timeout "a while" is not a duration/);
}));
