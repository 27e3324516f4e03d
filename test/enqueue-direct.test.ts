// The single enqueue's direct path (an open store, no args schema, no hooks, no tracing) must
// refuse and accept exactly what the full path does: each case below first opens the store, so
// the enqueue under test takes the direct path wherever it applies, and compares with what the
// full path is documented to do. Real Redis (own namespace) and a SQLite file under the temp folder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, createErrand, defineJob, InvalidArgsError, NotJsonSafeError, type Errand, type ErrandOptions } from '../src/index.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace } from './support/redis.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

const stores = {
  redis: async (fn: (errand: Errand) => Promise<void>, options: ErrandOptions = {}) => {
    const namespace = uniqueNamespace('errand-direct');
    const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet, ...options });
    try {
      await fn(errand);
    } finally {
      await errand.close();
      await deleteNamespace(namespace);
    }
  },
  sqlite: async (fn: (errand: Errand) => Promise<void>, options: ErrandOptions = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'errand-direct-'));
    const errand = createErrand({ url: `sqlite:${join(dir, 'errand.db')}`, logger: quiet, ...options });
    try {
      await fn(errand);
    } finally {
      await errand.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Waiting jobs of a queue, decoded. */
async function waiting(errand: Errand, queue: string): Promise<{ class: string; args: unknown[]; id: string }[]> {
  return (await (await errand.admin()).peek(queue, 0, 100)).map((payload) => JSON.parse(payload));
}

for (const [kind, withErrand] of Object.entries(stores)) {
  test(`${kind}: with the store open, a bad arg rejects (never throws) naming the path, and nothing is stored`, async () => {
    await withErrand(async (errand) => {
      const job = defineJob({ name: `Direct_${kind}`, queue: `direct-${kind}`, perform(_when: unknown) {} });
      await errand.store();
      let pending: Promise<unknown> | undefined;
      assert.doesNotThrow(() => { pending = errand.enqueue(job, new Date() as unknown as string); });
      await assert.rejects(pending!, (error: Error) => error instanceof NotJsonSafeError && /args\[0\] is a Date instance/.test(error.message));
      assert.deepEqual(await waiting(errand, job.queue), []);
      const stored = await errand.enqueue(job, { at: 'noon' });
      assert.deepEqual((await waiting(errand, job.queue)).map((p) => [p.class, p.args, p.id]), [[job.name, [{ at: 'noon' }], stored!.id]]);
    });
  });

  test(`${kind}: with the store open, a beforeEnqueue veto, an args schema and inline mode still apply`, async () => {
    const vetoed = defineJob({ name: `DirectVeto_${kind}`, queue: `direct-veto-${kind}`, plugins: [{ beforeEnqueue: () => false }], perform(_n: number) {} });
    const typed = defineJob({ name: `DirectSchema_${kind}`, queue: `direct-schema-${kind}`, args: z.tuple([z.number().int()]), perform(_n) {} });
    await withErrand(async (errand) => {
      await errand.store();
      assert.equal(await errand.enqueue(vetoed, 1), null, 'the job\'s own hook vetoed it');
      await assert.rejects(errand.enqueue(typed, 1.5), InvalidArgsError);
      assert.deepEqual(await waiting(errand, vetoed.queue), []);
      assert.deepEqual(await waiting(errand, typed.queue), []);
    });
    const plain = defineJob({ name: `DirectPlain_${kind}`, queue: `direct-plain-${kind}`, perform(_n: number) {} });
    await withErrand(async (errand) => {
      await errand.store();
      assert.equal(await errand.enqueue(plain, 1), null, 'a global hook vetoed it');
      assert.deepEqual(await waiting(errand, plain.queue), []);
    }, { plugins: [{ beforeEnqueue: () => false }] });
    const ran: number[] = [];
    const inlineJob = defineJob({ name: `DirectInline_${kind}`, queue: `direct-inline-${kind}`, perform(n: number) { ran.push(n); } });
    await withErrand(async (errand) => {
      await errand.admin(); // opens the store, as a dashboard or a job look-up would in a test app
      await errand.enqueue(inlineJob, 7);
      assert.deepEqual(ran, [7], 'inline mode ran the job at once');
      assert.deepEqual(await waiting(errand, inlineJob.queue), [], 'and stored nothing');
    }, { inline: true });
  });

  test(`${kind}: an enqueue after close() rejects with a ConfigError, though the store was open`, async () => {
    const job = defineJob({ name: `DirectClosed_${kind}`, queue: `direct-closed-${kind}`, perform(_n: number) {} });
    await withErrand(async (errand) => {
      await errand.enqueue(job, 1);
      await errand.close();
      await assert.rejects(errand.enqueue(job, 2), ConfigError);
    });
  });
}
