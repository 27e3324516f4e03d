// What a chaos run must show, and how its figures are printed. problems() lists every broken
// promise (a lost job, too many duplicates, a job taken for poison, an unexpected failure, a
// crashed worker, a store that never drained); an empty list is a pass. knownIssues() lists the broken promises already
// written up (docs/guarantees.md). Used by both `npm run chaos` and the test.

import type { Figures } from './run.ts';

export function problems(f: Figures): string[] {
  const out: string[] = [];
  if (!f.drained) out.push(`the store did not drain within the timeout (after ${f.drainMs} ms)`);
  if (f.missing.length > 0) out.push(`${f.missing.length} job(s) LOST (never completed, not in failed): ids ${f.missing.slice(0, 20).join(', ')}${f.missing.length > 20 ? ', …' : ''}`);
  // Only jobs that had finished (recorded their id) but were not yet settled when their worker
  // was killed may run again: at most `concurrency` per kill, plus what a rejected enqueue may
  // have stored twice.
  const bound = f.kills * f.concurrency + f.retries * 50;
  if (f.duplicates > bound) out.push(`${f.duplicates} duplicate runs exceed kills × concurrency (${f.kills} × ${f.concurrency} = ${bound})`);
  // The chaos workload has no poison job: a job is killed with its worker at most a few times
  // by chance, never `maxDeaths` times in a row, so any poison entry means innocent jobs were blamed.
  if (f.poisoned.length > 0) out.push(`${f.poisoned.length} innocent job(s) moved to failed as poison (the workload has none): ids ${f.poisoned.slice(0, 20).join(', ')}${f.poisoned.length > 20 ? ', …' : ''}`);
  if (f.otherFailures.length > 0) out.push(`${f.otherFailures.length} unexpected failure(s) in the failed list, e.g. ${f.otherFailures[0]}`);
  if (f.garbage > 0) out.push(`${f.garbage} unreadable line(s) in the results`);
  if (f.crashes > 0) out.push(`${f.crashes} worker process(es) exited without being signalled`);
  return out;
}

/** Broken promises with a known cause, written up in docs/guarantees.md ("Known issues"). */
export function knownIssues(f: Figures): string[] {
  const out: string[] = [];
  if (f.stranded > 0) out.push(`${f.stranded} job(s) stranded in the in-flight sets of live workers after the chaos stopped (they run only once those workers stop or die)`);
  if (f.badStops > 0) out.push(`${f.badStops} worker process(es) exited non-zero after SIGTERM (unhandled "Connection is closed" after "worker stopped")`);
  return out;
}

export function formatFigures(f: Figures): string {
  const rows: [string, string | number][] = [
    ['store', f.store],
    ['jobs (flaky, delayed, single enqueues)', `${f.jobs} (${f.flaky}, ${f.delayed}, ${f.singles})`],
    ['hand-offs heard (at least)', f.store === 'redis' ? f.handoffsSeen : 'n/a'],
    ['completed at least once', f.completed],
    ['lost', f.missing.length],
    ['stranded in live workers after chaos', f.stranded],
    ['poison jobs (in flight at 3 deaths)', f.poisoned.length],
    ['duplicate runs', `${f.duplicates}${f.mostRuns ? ` (most: id ${f.mostRuns.id} ran ${f.mostRuns.runs}×)` : ''}`],
    ['worker processes started', f.workersStarted],
    ['kill -9 (jobs the chaos victims held)', `${f.kills} (${f.heldAtKills})`],
    ['SIGTERM', f.sigterms],
    ['connection cuts (rounds / connections)', f.store === 'redis' ? `${f.cutRounds} / ${f.connectionsCut}` : 'n/a'],
    ['enqueue retries', f.retries],
    ['recovery per kill -9 (median / max)', f.recoveryMedianMs === undefined ? 'n/a' : `${(f.recoveryMedianMs / 1000).toFixed(1)} s / ${(f.recoveryMaxMs! / 1000).toFixed(1)} s`],
    ['drain after the last kill (incl. boot)', `${(f.drainMs / 1000).toFixed(1)} s`],
  ];
  return rows.map(([k, v]) => `  ${k.padEnd(40)} ${v}`).join('\n');
}
