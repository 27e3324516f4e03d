// Keeps `npm run bench` from rotting: a tiny run of every system (200 jobs, one round, the
// processed50, bulk, enqueue, http and idle figures) must finish, and every worker must count
// exactly the jobs it was given. No timing is asserted: the test suite checks correctness, the bench reports speed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAdapter, SYSTEMS } from '../bench/adapters/index.ts';
import { closeRedisUtil } from '../bench/adapters/redis-util.ts';
import { runSuite } from '../bench/suite.ts';
import { markdownTable } from '../bench/report.ts';

test('every bench adapter runs and counts exactly the jobs it was given', { timeout: 180_000 }, async () => {
  const systems = await Promise.all(SYSTEMS.map(loadAdapter));
  try {
    const results = await runSuite({
      systems, figures: ['processed50', 'bulk', 'enqueue', 'http', 'idle'], rounds: 1, jobs: 200, backlog: 200, measured: 200, idleSettleMs: 0, idleMs: 100, idleWindows: 1, latencyJobs: 0, httpRequests: 100,
    });
    for (const system of SYSTEMS) {
      const processed = results.find((result) => result.system === system && result.figure === 'processed50');
      const bulk = results.find((result) => result.system === system && result.figure === 'bulk');
      assert.equal(processed?.metrics.jobs, 200, `${system} processed every job exactly once`);
      assert.ok(processed.metrics['processed50/s']! > 0, `${system} reported a rate`);
      assert.equal(bulk?.metrics.jobs, 200, `${system} bulk-enqueued the jobs`);
      assert.ok(bulk.metrics['bulk enqueue/s']! > 0);
      const idle = results.find((result) => result.system === system && result.figure === 'idle');
      assert.ok(Number.isFinite(idle?.metrics['idle worker CPU %']), `${system} reported its idle CPU`);
      const enqueue = results.find((result) => result.system === system && result.figure === 'enqueue');
      assert.ok(enqueue!.metrics['enqueue c50 p99 µs']! > 0, `${system} reported the latency of one enqueue`);
      const http = results.find((result) => result.system === system && result.figure === 'http');
      assert.ok(http!.metrics['http enqueue p50 µs']! > 0, `${system} answered the http figure's requests`);
    }
    assert.match(markdownTable(results, SYSTEMS), /\| processed50\/s \|/);
  } finally {
    await closeRedisUtil();
  }
});
