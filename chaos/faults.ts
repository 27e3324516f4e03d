// `npm run faults`: the six liveness faults of issue #10 at the sizes, on the default
// --dead-after (5 s): a container restart (30 jobs, concurrency 5), a 7 s CPU-bound job, a 12 s
// store freeze (40 jobs of 3 s), a worker's clock 20 s ahead (30 jobs), an invalid retry option
// in a .mjs job file, and a rolling deploy. Prints, per scenario and store, jobs done, runs per
// job (max, duplicates), poison entries and a recovery time (the figures of docs/guarantees.md),
// then a Markdown table of them; exits 1 if any scenario breaks a promise. The scenarios are the
// ones test/liveness-faults.test.ts runs small (chaos/fault-scenarios.ts), one after another here
// so no scenario's figures are skewed by another's load.
// Flags: --only restart,cpu,freeze,skew,invalid-retry,deploy   --store redis|sqlite|both.
// FAULTS_KEEP=1 keeps each scenario's directory (worker logs, run records).

import { parseArgs } from 'node:util';
import {
  clockSkew, containerRestart, cpuBound, faultProblems, formatFigures, formatInvalidRetry, FULL_SIZES, invalidRetry, invalidRetryProblems,
  rollingDeploy, storeFreeze, type FaultFigures, type StoreKind,
} from './fault-scenarios.ts';

const SCENARIOS = ['restart', 'cpu', 'freeze', 'skew', 'invalid-retry', 'deploy'] as const;
type Scenario = (typeof SCENARIOS)[number];
/** Where each fault applies: a store freeze is a Redis server's, an invalid job file no store's (run once). */
const STORES: Record<Scenario, readonly StoreKind[]> = {
  restart: ['redis', 'sqlite'], cpu: ['redis', 'sqlite'], freeze: ['redis'], skew: ['redis', 'sqlite'], 'invalid-retry': ['redis'], deploy: ['redis', 'sqlite'],
};

const { values } = parseArgs({ options: { only: { type: 'string' }, store: { type: 'string', default: 'both' } } });
const only = values.only ? values.only.split(',').map((name) => name.trim()) : [...SCENARIOS];
for (const name of only) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario "${name}" (use ${SCENARIOS.join(', ')})`);
if (!['redis', 'sqlite', 'both'].includes(values.store!)) throw new Error(`--store must be redis, sqlite or both, got ${values.store}`);
const wantStore = (store: StoreKind) => values.store === 'both' || values.store === store;

const rows: string[] = [];
let failed = false;
const seconds = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);

function verdict(problems: string[]): void {
  for (const problem of problems) console.log(`  FAIL: ${problem}`);
  if (problems.length === 0) console.log('  OK');
  failed ||= problems.length > 0;
}

function row(f: FaultFigures, problems: string[]): void {
  rows.push(`| ${f.scenario} | ${f.store} | ${f.done}/${f.jobs} | ${f.runsMax}, ${f.duplicated.length} | ${f.poison} | ${seconds(f.recoveryMs)} (${f.recoveryOf}) | ${problems.length ? problems.join('; ') : 'ok'} |`);
}

for (const scenario of SCENARIOS) {
  if (!only.includes(scenario)) continue;
  for (const store of STORES[scenario]) {
    if (!wantStore(store) && scenario !== 'invalid-retry') continue;
    console.log(`faults: ${scenario} on ${store} …`);
    try {
      if (scenario === 'invalid-retry') {
        const f = await invalidRetry(store, FULL_SIZES.invalidRetry);
        console.log(formatInvalidRetry(f));
        const problems = invalidRetryProblems(f);
        verdict(problems);
        rows.push(`| ${f.scenario} | – | refused at load: ${f.refusedAtLoad ? 'yes' : 'no'} | – | – | – | ${problems.length ? problems.join('; ') : 'ok'} |`);
        continue;
      }
      const f = scenario === 'restart' ? await containerRestart(store, FULL_SIZES.restart)
        : scenario === 'cpu' ? await cpuBound(store, FULL_SIZES.cpu)
        : scenario === 'freeze' ? await storeFreeze(FULL_SIZES.freeze)
        : scenario === 'skew' ? await clockSkew(store, FULL_SIZES.skew)
        : await rollingDeploy(store, FULL_SIZES.deploy);
      console.log(formatFigures(f));
      const problems = faultProblems(f);
      verdict(problems);
      row(f, problems);
    } catch (error) {
      console.log(`  FAIL: the scenario could not run: ${(error as Error).stack ?? String(error)}`);
      failed = true;
    }
  }
}

console.log('\n| fault | store | jobs done | runs per job (max, duplicated) | poison | recovery | verdict |');
console.log('|---|---|---|---|---|---|---|');
for (const line of rows) console.log(line);
process.exitCode = failed ? 1 : 0;
