// The short chaos run inside the normal test suite (issue 4): 1,500 jobs, 3 worker processes
// × 10, ~15 s of kill -9 / SIGTERM (and, on a private redis-server, connection cuts), against
// Redis and SQLite side by side. Every job must complete at least once; duplicates stay within
// kills × concurrency; the failed list holds nothing unexpected, and no job is taken for poison
// (the workload has none).
// `npm run chaos` is the long run.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos } from '../chaos/run.ts';
import { formatFigures, knownIssues, problems } from '../chaos/report.ts';

describe('chaos', { concurrency: true }, () => {
  for (const store of ['redis', 'sqlite'] as const) {
    test(`chaos (${store}): kill -9, SIGTERM${store === 'redis' ? ', connection cuts' : ''}: no job is lost`, { timeout: 120_000 }, async (t) => {
      const figures = await runChaos({ store, jobs: 1_500, workers: 3, concurrency: 10, chaosMs: 15_000, log: (line) => t.diagnostic(line) });
      for (const line of formatFigures(figures).split('\n')) t.diagnostic(line);
      assert.ok(figures.kills > 0, 'the chaos loop killed at least one worker');
      if (store === 'redis') assert.ok(figures.connectionsCut > 0, 'the chaos loop cut connections');
      assert.deepEqual(problems(figures), []);
      assert.deepEqual(knownIssues(figures), [], 'no job stranded in a live worker, every SIGTERMed worker exits 0');
    });
  }
});
