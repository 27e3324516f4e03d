// Multi-process fault tests for worker liveness (issue #10), through `errand work`: a container
// restart (kill -9 of PID 1, restarted as PID 1 again: the same Resque worker id), a CPU-bound
// job that blocks the event loop longer than --dead-after, a store frozen (SIGSTOP) for
// 2 × --dead-after, one worker's clock 20 s ahead, an invalid retry option in a .mjs job file,
// and a rolling deploy (a job type only a later worker knows). Redis everywhere, SQLite where
// the fault applies. Small sizes (--dead-after 2s and short jobs); the scenarios themselves live
// in chaos/fault-scenarios.ts, shared with `npm run faults`, which runs them at the sizes.
// Assertions are counts (runs per job, poison entries, jobs done), never elapsed times.

import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  clockSkew, containerRestart, cpuBound, formatFigures, formatInvalidRetry, invalidRetry, rollingDeploy, storeFreeze, TEST_SIZES,
  type FaultFigures,
} from '../chaos/fault-scenarios.ts';

// The cases run side by side, but each runs up to three worker processes (plus tsx compiling
// at boot) on a machine with two cores: at most this many scenarios at once.
const SLOTS = 4;
let inUse = 0;
const waiting: (() => void)[] = [];

async function inSlot<T>(body: () => Promise<T>, slots = 1): Promise<T> {
  for (let taken = 0; taken < slots; taken++) {
    if (inUse < SLOTS) inUse++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
  }
  try {
    return await body();
  } finally {
    for (let freed = 0; freed < slots; freed++) {
      const next = waiting.shift();
      if (next) next();
      else inUse--;
    }
  }
}

/**
 * Every slot: the store freeze runs alone. Its promise (no worker reaped after an outage) needs
 * each worker's lease thread to get a heartbeat through within a lease (3 s here) of the thaw;
 * beside three other scenarios booting processes (tsx compiling) and a CPU-bound one on two
 * cores, a lease thread was once starved that long, which looks like a stuck worker (seen 1 run
 * in 7). A starved worker is a fault of its own, tested by the CPU-bound scenario.
 */
const ALONE = SLOTS;

function report(t: TestContext, figures: FaultFigures): FaultFigures {
  for (const line of formatFigures(figures).split('\n')) t.diagnostic(line);
  return figures;
}

/** Runs per job, by the label of the worker process that started it: `{ key: ['new'] }`. */
function startsByKey(figures: FaultFigures): Record<string, string[]> {
  return Object.fromEntries([...figures.runs].map(([key, runs]) => [key, runs.filter((r) => r.event === 'start').map((r) => r.label)]));
}

const TIMEOUT = 180_000;

describe('liveness faults', { concurrency: true }, () => {
  for (const store of ['redis', 'sqlite'] as const) {
    test(`container restart (${store}): a worker killed -9 and restarted as PID 1 again (same worker id) gets its predecessor's jobs back`, { timeout: TIMEOUT }, async (t) => {
      const f = report(t, await inSlot(() => containerRestart(store, TEST_SIZES.restart)));
      assert.deepEqual(f.details.pids, [1], 'both incarnations ran as PID 1 of their own PID namespace (so they share the Resque worker id)');
      assert.deepEqual(f.notDone, [], 'every job is done while the restarted process runs: the jobs the killed one held came back through its expired lease');
      assert.equal(f.poison, 0, 'no poison entries');
      assert.equal(f.failed, 0, 'nothing in the failed list');
      assert.deepEqual(f.details.duplicatesNotStartedByKilled, [], 'only jobs the killed process had started ran twice (kill -9 duplicates)');
      assert.ok(f.runsMax <= 2, `no job ran more than twice (max ${f.runsMax})`);
      assert.ok(f.drained, 'the store holds nothing afterwards');
    });

    test(`CPU-bound job (${store}): a job blocking the event loop longer than --dead-after runs once, its worker is not taken for dead`, { timeout: TIMEOUT }, async (t) => {
      const f = report(t, await inSlot(() => cpuBound(store, TEST_SIZES.cpu)));
      assert.deepEqual(f.duplicated, [], 'each CPU-bound job ran exactly once');
      assert.equal(f.poison, 0, 'no PoisonJobError in the failed list');
      assert.equal(f.done, f.jobs, 'every job is done');
      assert.equal(f.failed, 0, 'nothing in the failed list');
    });

    test(`clock skew (${store}): one of two workers' clocks 20 s ahead: no job runs twice, none fails, all done`, { timeout: TIMEOUT }, async (t) => {
      const f = report(t, await inSlot(() => clockSkew(store, TEST_SIZES.skew)));
      assert.deepEqual(f.duplicated, [], 'no job ran twice');
      assert.equal(f.failedButDone, 0, 'no succeeded job in the failed list');
      assert.equal(f.poison, 0, 'no poison entries');
      assert.deepEqual(f.notDone, [], 'every job is done');
      assert.equal(f.failed, 0, 'nothing in the failed list');
    });

    test(`rolling deploy (${store}): a job type the running worker does not know runs once on the worker deployed 6 s later`, { timeout: TIMEOUT }, async (t) => {
      const f = report(t, await inSlot(() => rollingDeploy(store, TEST_SIZES.deploy)));
      assert.deepEqual(f.details.failedBeforeDeploy, [], 'the old worker did not fail the unknown jobs (UnknownJobError) before the new one came');
      assert.equal(f.failed, 0, 'nothing in the failed list');
      assert.deepEqual(startsByKey(f), Object.fromEntries([...f.runs.keys()].map((key) => [key, ['new']])), 'each job ran exactly once, on the new worker');
      assert.deepEqual(f.notDone, [], 'every job is done');
    });
  }

  test('store freeze (redis): redis-server stopped for 2 × --dead-after under two healthy workers: no job runs twice, none is lost', { timeout: TIMEOUT }, async (t) => {
    const f = report(t, await inSlot(() => storeFreeze(TEST_SIZES.freeze), ALONE));
    assert.deepEqual(f.duplicated, [], 'no job ran twice');
    assert.deepEqual(f.notDone, [], 'no job lost: every job is done');
    assert.equal(f.failed, 0, 'nothing in the failed list');
    assert.ok(f.drained, 'the store holds nothing afterwards');
  });

  test('invalid retry option (redis): a .mjs job file with retry: { delay: \'5 minutes\' } is refused at load, naming the job and the option', { timeout: TIMEOUT }, async (t) => {
    const f = await inSlot(() => invalidRetry('redis', TEST_SIZES.invalidRetry));
    for (const line of formatInvalidRetry(f).split('\n')) t.diagnostic(line);
    assert.ok(f.refusedAtLoad, `the worker must refuse to start (exit code ${f.exitCode}); it started${f.diedWhenJobThrew ? ' and died when the job threw' : ''}`);
    assert.notEqual(f.exitCode, 0, 'non-zero exit code');
    assert.match(f.message, /FaultBadRetry/, 'the error names the job');
    assert.match(f.message, /delay/, 'the error names the option');
  });
});
