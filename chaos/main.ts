// `npm run chaos`: the long chaos run, against Redis (a private redis-server) and SQLite, one
// after the other; prints the figures and exits 1 if any job was lost or any promise broken.
// Flags: --store redis|sqlite|both  --jobs N  --workers N  --concurrency N  --seconds S.
// CHAOS_KEEP=1 keeps each run's directory (worker logs, results) for a post-mortem.

import { parseArgs } from 'node:util';
import { runChaos } from './run.ts';
import { formatFigures, knownIssues, problems } from './report.ts';

const { values } = parseArgs({ options: {
  store: { type: 'string', default: 'both' },
  jobs: { type: 'string', default: '10000' },
  workers: { type: 'string', default: '4' },
  concurrency: { type: 'string', default: '10' },
  seconds: { type: 'string', default: '45' },
} });
const stores = values.store === 'both' ? (['redis', 'sqlite'] as const) : [values.store as 'redis' | 'sqlite'];
let failed = false;
for (const store of stores) {
  if (store !== 'redis' && store !== 'sqlite') throw new Error(`--store must be redis, sqlite or both, got ${store}`);
  const started = Date.now();
  console.log(`chaos: ${store}, ${values.jobs} jobs, ${values.workers} workers × ${values.concurrency}, ${values.seconds} s of chaos`);
  const figures = await runChaos({
    store, jobs: Number(values.jobs), workers: Number(values.workers), concurrency: Number(values.concurrency),
    chaosMs: Number(values.seconds) * 1000, log: (line) => console.log(`  … ${line}`),
  });
  console.log(formatFigures(figures));
  const found = problems(figures);
  for (const problem of found) console.log(`  FAIL: ${problem}`);
  const known = knownIssues(figures);
  for (const issue of known) console.log(`  FAIL (known issue, see docs/guarantees.md): ${issue}`);
  if (found.length === 0) console.log(`  OK: no job lost (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (process.env.CHAOS_KEEP === '1') console.log(`  run directory kept: ${figures.dir}`);
  failed ||= found.length > 0 || known.length > 0;
}
process.exitCode = failed ? 1 : 0;
