// The chaos suite's checker. After the store has drained, it reads what the jobs recorded
// (one `id` line per completed run in $CHAOS_DIR/done-<pid>.txt) and the failed list, and
// accounts for every job id 0..n-1: completed at least once (how many extra runs), moved to
// failed as a poison job (in flight in too many worker deaths: not lost, but reported), or
// missing, which is a lost job.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdminStore } from '../src/index.ts';

export interface CheckResult {
  /** Distinct ids that completed. */
  completed: number;
  /** Runs beyond the first, summed over all ids. */
  duplicates: number;
  /** The id that ran most often and how often. */
  mostRuns: { id: number; runs: number } | undefined;
  /** Ids that never completed and are nowhere: lost jobs. */
  missing: number[];
  /**
   * Ids moved to failed as PoisonJobError (each also missing from `completed`, or not). Not lost,
   * so not in `missing`; the chaos workload has no poison job, so report.ts counts each as a problem.
   */
  poisoned: number[];
  /** Failed entries that are not poison jobs: "exception: error" lines. */
  otherFailures: string[];
  /** Lines that are not ids 0..n-1 (torn or foreign writes). */
  garbage: number;
}

export function readRuns(dir: string, jobs: number): { runs: Uint32Array; garbage: number } {
  const runs = new Uint32Array(jobs);
  let garbage = 0;
  for (const name of readdirSync(dir)) {
    if (!/^done-\d+\.txt$/.test(name)) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line === '') continue;
      const id = Number(line);
      if (Number.isInteger(id) && id >= 0 && id < jobs) runs[id]!++;
      else garbage++;
    }
  }
  return { runs, garbage };
}

export async function check(dir: string, jobs: number, admin: AdminStore): Promise<CheckResult> {
  const { runs, garbage } = readRuns(dir, jobs);
  const poisoned = new Set<number>();
  const otherFailures: string[] = [];
  const failed = await admin.failed(0, Math.max(1, await admin.failedCount()));
  for (const { entry, raw } of failed) {
    const payload = entry?.payload as { args?: unknown[] } | undefined;
    const id = payload?.args?.[0];
    if (entry?.exception === 'PoisonJobError' && typeof id === 'number') poisoned.add(id);
    else otherFailures.push(entry ? `${String(entry.exception)}: ${String(entry.error)}` : raw.slice(0, 200));
  }
  let completed = 0;
  let duplicates = 0;
  let mostRuns: CheckResult['mostRuns'];
  const missing: number[] = [];
  for (let id = 0; id < jobs; id++) {
    const n = runs[id]!;
    if (n > 0) completed++;
    if (n > 1) duplicates += n - 1;
    if (n > (mostRuns?.runs ?? 1)) mostRuns = { id, runs: n };
    if (n === 0 && !poisoned.has(id)) missing.push(id);
  }
  return { completed, duplicates, mostRuns, missing, poisoned: [...poisoned].sort((a, b) => a - b), otherFailures, garbage };
}
