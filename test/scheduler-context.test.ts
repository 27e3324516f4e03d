// ctx.schedule as a running job sees it, on both stores: a worker runs the schedule's ticks
// and the job itself, and perform records its context. On-time runs carry the schedule's name,
// the claimed tick as a Date (the store's cursor names the last one) and caughtUp false; ticks
// missed while no worker ran and caught up carry caughtUp true.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createErrand, defineJob, defineSchedule, type ScheduleContext } from '../src/index.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';

const seen: { label: string; schedule: ScheduleContext | undefined }[] = [];
const probe = defineJob({ name: 'CtxProbe', queue: 'sched-ctx', perform: async (label: string, ctx) => { seen.push({ label, schedule: ctx.schedule }); } });

// The two stores side by side: each case waits on whole-second ticks, and each keeps to its own
// label, namespace and file.
describe('ctx.schedule', { concurrency: true }, () => {
  for (const kind of ['redis', 'sqlite'] as const) {
    test(`a scheduled run's ctx.schedule on ${kind}: name, the claimed tick as a Date, caughtUp false on time and true when caught up`, { timeout: 60_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'errand-sched-ctx-'));
      const namespace = uniqueNamespace('errand-sched-ctx');
      const errand = createErrand({ url: kind === 'redis' ? REDIS_URL : `sqlite:${join(dir, 'ctx.db')}`, namespace, jobs: [probe] });
      const label = `${kind}-${namespace}`;
      const mine = () => seen.filter((s) => s.label === label).map((s) => s.schedule!);
      const schedule = defineSchedule({ name: 'ctx-probe', every: '1s', job: probe, args: [label], catchUp: '1h' });
      try {
        let worker = errand.worker({ queues: 'sched-ctx', schedules: [schedule] });
        await worker.start();
        await waitFor('two on-time runs', () => mine().length >= 2, 20_000);
        await worker.stop();
        const onTime = mine();
        const cursor = (await (await errand.store()).schedules().list()).find((s) => s.name === 'ctx-probe')!.cursor!;
        for (const ctx of onTime) {
          assert.equal(ctx.name, 'ctx-probe');
          assert.ok(ctx.tick instanceof Date, 'tick is a Date');
          assert.equal(ctx.caughtUp, false);
        }
        // A tick claimed just as the worker stopped may run after the restart: compare at the end.
        assert.ok(onTime.every((c) => c.tick.getTime() <= cursor && c.tick.getTime() % 1_000 === 0), 'runs are for claimed ticks');

        // Every worker down across a few ticks (the downtime is what is being made, not measured).
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        worker = errand.worker({ queues: 'sched-ctx', schedules: [schedule] });
        await worker.start();
        await waitFor('a caught-up run and an on-time one after it', () => mine().slice(onTime.length).some((c) => c.caughtUp) && mine().at(-1)!.caughtUp === false, 20_000);
        await worker.stop();
        const after = mine().slice(onTime.length);
        const caught = after.filter((c) => c.caughtUp).map((c) => c.tick.getTime());
        assert.equal(caught[0], cursor + 1_000, 'catch-up starts at the first tick missed');
        const ticks = [...onTime, ...after].map((c) => c.tick.getTime()).sort((a, b) => a - b);
        assert.deepEqual(ticks, Array.from({ length: ticks.length }, (_, i) => ticks[0]! + i * 1_000), 'every tick ran once');
        assert.ok(ticks.includes(cursor), 'the tick the store recorded as claimed ran, with that tick in its context');
      } finally {
        await errand.close();
        if (kind === 'redis') await deleteNamespace(namespace);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
