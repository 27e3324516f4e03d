// Jobs whose args are checked by a Standard Schema (issue #14, part 3), with Zod and Valibot:
// invalid args at enqueue reject with InvalidArgsError naming the job and the path, and nothing
// is stored; a payload that reaches a worker with invalid args (pushed the way Ruby or the CLI
// would) goes to the failed list with the schema's message, once, without running perform.
// perform gets the schema's output. Real Redis, own namespace per test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { z } from 'zod';
import { ConfigError, defineJob, InvalidArgsError, type StandardSchemaV1 } from '../src/index.ts';
import { waitFor } from './support/redis.ts';
import { withErrand as withFreshErrand } from './support/errand.ts';


const withErrand = (fn: Parameters<typeof withFreshErrand>[0], options: Parameters<typeof withFreshErrand>[1] = {}) => withFreshErrand(fn, options, 'errand-schema');

const libraries = {
  zod: {
    signup: z.tuple([z.number().int(), z.object({ email: z.email(), plan: z.string().transform((plan) => plan.toUpperCase()) })]),
  },
  valibot: {
    signup: v.tuple([v.pipe(v.number(), v.integer()), v.object({ email: v.pipe(v.string(), v.email()), plan: v.pipe(v.string(), v.transform((plan) => plan.toUpperCase())) })]),
  },
};

for (const [library, { signup }] of Object.entries(libraries)) {
  test(`${library}: valid args are stored as given; perform gets the schema's output`, async () => {
    await withErrand(async (errand) => {
      const seen: unknown[][] = [];
      const job = defineJob({ name: `Signup_${library}_ok`, queue: `signup-${library}`, args: signup as typeof libraries.zod.signup, perform(userId, options) { seen.push([userId, options]); } });
      const enqueued = await errand.enqueue(job, 7, { email: 'ada@example.com', plan: 'pro' });
      assert.deepEqual(enqueued?.args, [7, { email: 'ada@example.com', plan: 'pro' }]);
      const admin = await errand.admin();
      const [stored] = await admin.peek(job.queue, 0, 1);
      assert.deepEqual(JSON.parse(stored!).args, [7, { email: 'ada@example.com', plan: 'pro' }], 'the input is stored, not the transformed output');
      const worker = errand.worker({ queues: job.queue });
      await worker.start();
      await waitFor('perform ran', () => seen.length === 1);
      assert.deepEqual(seen, [[7, { email: 'ada@example.com', plan: 'PRO' }]]);
      await worker.stop();
    });
  });

  test(`${library}: invalid args at enqueue reject with the job and the issue's path; nothing is stored`, async () => {
    await withErrand(async (errand) => {
      const job = defineJob({ name: `Signup_${library}_bad`, queue: `signup-bad-${library}`, args: signup as typeof libraries.zod.signup, perform() {} });
      const bad = [7, { email: 'not an email', plan: 'pro' }] as never as [number, { email: string; plan: string }];
      await assert.rejects(errand.enqueue(job, ...bad), (error: unknown) => {
        assert.ok(error instanceof InvalidArgsError, String(error));
        assert.equal(error.code, 'ERR_INVALID_ARGS');
        assert.equal(error.jobName, job.name);
        assert.equal(error.path, 'args[1].email');
        assert.match(error.message, new RegExp(`^job ${job.name}: invalid args at args\\[1\\]\\.email: `));
        return true;
      });
      await assert.rejects(errand.enqueueIn('1h', job, 1.5, { email: 'ada@example.com', plan: 'pro' }), /invalid args at args\[0\]/);
      await assert.rejects(errand.enqueueBulk(job, [[1, { email: 'a@example.com', plan: 'x' }], ['2' as never, { email: 'b@example.com', plan: 'x' }]]),
        /job Signup_\w+_bad \(enqueueBulk item 1\): invalid args at args\[0\]/);
      const admin = await errand.admin();
      assert.deepEqual(await admin.peek(job.queue, 0, 10), [], 'no job stored, not even the valid first bulk item');
      assert.equal(await admin.scheduledCount(), 0);
    });
  });

  test(`${library}: a payload with invalid args fails in the worker with the schema's message, no retry, perform not run`, async () => {
    await withErrand(async (errand) => {
      const ran: unknown[] = [];
      const job = defineJob({
        name: `Signup_${library}_foreign`, queue: `signup-foreign-${library}`, args: signup as typeof libraries.zod.signup, retry: { attempts: 5, delay: 1 },
        perform(userId) { ran.push(userId); },
      });
      // As Ruby Resque or `errand enqueue` would write it: never type-checked.
      const store = await errand.store();
      await store.push([{ queue: job.queue, payload: JSON.stringify({ class: job.name, args: ['seven', { email: 'ada@example.com', plan: 'pro' }] }) }]);
      await errand.enqueue(job, 8, { email: 'ada@example.com', plan: 'pro' });
      const worker = errand.worker({ queues: job.queue, concurrency: 1 });
      await worker.start();
      const admin = await errand.admin();
      await waitFor('the valid job ran and the invalid one failed', async () => ran.length === 1 && (await admin.failedCount()) === 1);
      await worker.stop();
      const [failure] = await admin.failed(0, 1);
      const entry = failure!.entry!;
      assert.equal(entry.exception, 'InvalidArgsError');
      assert.match(String(entry.error), new RegExp(`^job ${job.name}: invalid args at args\\[0\\]: `));
      assert.deepEqual((entry.payload as { args: unknown[] }).args, ['seven', { email: 'ada@example.com', plan: 'pro' }], 'the payload as stored');
      assert.deepEqual(ran, [8], 'perform ran for the valid job only');
      assert.equal(await admin.scheduledCount(), 0, 'not retried, though the job allows 5 attempts');
    });
  });
}

test('the schema\'s own message reaches the failed list and the enqueue error', async () => {
  await withErrand(async (errand) => {
    const job = defineJob({ name: 'SignupMessage', queue: 'signup-message', args: z.tuple([z.number({ error: 'a user id is a number' })]), perform() {} });
    await assert.rejects(errand.enqueue(job, 'x' as never), /invalid args at args\[0\]: a user id is a number$/);
    const store = await errand.store();
    await store.push([{ queue: job.queue, payload: JSON.stringify({ class: job.name, args: ['x'] }) }]);
    const worker = errand.worker({ queues: job.queue });
    await worker.start();
    const admin = await errand.admin();
    await waitFor('failed', async () => (await admin.failedCount()) === 1);
    await worker.stop();
    const [failure] = await admin.failed(0, 1);
    assert.match(String(failure!.entry!.error), /^job SignupMessage: invalid args at args\[0\]: a user id is a number$/);
  });
});

test('an async Standard Schema is awaited at enqueue; inline mode validates what it runs', async () => {
  const evenOnly: StandardSchemaV1<[n: number], [n: number]> = {
    '~standard': {
      version: 1, vendor: 'test',
      validate: async (value) => {
        const [n] = value as unknown[];
        return typeof n === 'number' && n % 2 === 0 ? { value: [n] as [number] } : { issues: [{ message: 'must be even', path: [0] }] };
      },
    },
  };
  const ran: number[] = [];
  const job = defineJob({ name: 'SchemaEven', queue: 'schema-even', args: evenOnly, perform(n) { ran.push(n); } });
  await withErrand(async (errand) => {
    await assert.rejects(errand.enqueue(job, 3), /InvalidArgsError: job SchemaEven: invalid args at args\[0\]: must be even$/);
    assert.deepEqual(ran, [], 'the invalid job did not run');
    await errand.enqueue(job, 4);
    assert.deepEqual(ran, [4], 'inline: ran at once with the valid args');
  }, { inline: true });
});

test('a non-Standard-Schema args option is refused at definition with a ConfigError', () => {
  for (const args of [{}, [z.number()], 'number', { '~standard': { version: 2, validate() {} } }, { '~standard': { version: 1 } }]) {
    assert.throws(() => defineJob({ name: 'SchemaRefused', args: args as never, perform() {} }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `${JSON.stringify(args)}: ${String(error)}`);
      assert.match(error.message, /^job SchemaRefused: args must be a Standard Schema v1/);
      return true;
    });
  }
});
