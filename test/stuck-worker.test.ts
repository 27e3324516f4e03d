// A stuck worker without a supervisor: its lease thread renews the lease only while the worker's
// event loop answers, so a job stuck in a synchronous loop past --stuck-timeout lets the lease
// run out and the job comes back on another worker. (A CPU-bound job shorter than the stuck
// timeout keeps its lease: test/liveness-faults.test.ts.) An idle worker with the same short stuck
// timeout keeps renewing: it is idle, not stuck.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inWorld, waitFor } from './support/cli-harness.ts';
import { Spin } from './fixtures/supervisor-jobs.ts';
import { jobFile } from './support/errand-bin.ts';

test('no supervisor: a worker stuck past --stuck-timeout stops renewing its lease, and its job completes on another worker', () => inWorld(async (world) => {
  const args = ['--require', jobFile('test/fixtures/supervisor-jobs.ts'), '--queues', 'default', '--dead-after', '2s'];
  const { proc: stuck } = await world.worker([...args, '--stuck-timeout', '2s']);
  // Blocks the first worker's event loop for a minute: longer than anything below waits.
  await world.client().enqueue(Spin, 'spin', 60_000);
  await waitFor('the job to start on the first worker', () => world.lines().includes(`start spin ${stuck.pid}`), 30_000);
  // The same stuck timeout on the healthy worker, which idles between beats of 2 s: an idle
  // event loop hears from its lease thread only once a beat, and that is no stall (counting the
  // pulse's age as silence withheld every idle renewal, so this worker never reaped the other).
  // (Its own lease is the default 5 s, whose idle beat is the full 2 s.)
  const { proc: other } = await world.worker([...args.slice(0, -2), '--stuck-timeout', '2s']);
  await waitFor('the job to complete on the other worker', () => world.lines().includes(`done spin ${other.pid}`), 45_000);
  assert.ok(!world.lines().includes(`done spin ${stuck.pid}`), 'the stuck run never finished: the job came back through the lease');
  assert.doesNotMatch(other.stdout, /did not answer/, 'the healthy worker never withheld a renewal');
  stuck.signal('SIGKILL');
  other.signal('SIGTERM');
  assert.equal((await other.waitExit(30_000)).code, 0);
}));
