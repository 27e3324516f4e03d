// `npm run bench`: errand next to its peers on this machine, in one run. Options:
//   --only errand-redis,bullmq   systems (default: all)
//   --figures processed50,bulk   figures (default: all; backlog only under a full run)
//   --jobs N (default 20000)  --rounds R (default 3)  --backlog N (default 1000000)
//   --quick                      5000 jobs, 1 round, shorter probes, no 1M backlog
//   --requests                   only the figures a web request feels: single, enqueue, http,
//                                latency, processed50 (start → first job)
// Prints a markdown table of medians and ratios; writes every round to .bench/results.json.

import { cpus } from 'node:os';
import { loadAdapter, SYSTEMS } from './adapters/index.ts';
import { closeRedisUtil } from './adapters/redis-util.ts';
import { FIGURES, REQUEST_FIGURES, type Figure } from './figures.ts';
import { markdownTable, writeJson } from './report.ts';
import { runSuite } from './suite.ts';

function parse(argv: readonly string[]) {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'quick' || name === 'requests') flags.set(name, 'true');
    else flags.set(name, inline ?? argv[++i] ?? '');
  }
  const quick = flags.has('quick');
  const int = (name: string, fallback: number) => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
    return value;
  };
  const list = (name: string) => flags.get(name)?.split(',').map((item) => item.trim()).filter(Boolean);
  const all = flags.has('requests') ? REQUEST_FIGURES : FIGURES.filter((figure) => !(quick && figure === 'backlog'));
  const figures = (list('figures') ?? all) as Figure[];
  for (const figure of figures) if (!FIGURES.includes(figure)) throw new Error(`unknown figure "${figure}"; known: ${FIGURES.join(', ')}`);
  return {
    systems: list('only') ?? SYSTEMS,
    figures,
    jobs: int('jobs', quick ? 5_000 : 20_000),
    rounds: int('rounds', quick ? 1 : 3),
    backlog: int('backlog', quick ? 100_000 : 1_000_000),
    measured: 10_000,
    idleSettleMs: quick ? 1_000 : 12_000,
    idleMs: quick ? 500 : 2_000,
    idleWindows: quick ? 1 : 7,
    latencyJobs: quick ? 100 : 400,
    httpRequests: quick ? 1_000 : 5_000,
  };
}

async function main(): Promise<void> {
  const parsed = parse(process.argv.slice(2));
  const options = { ...parsed, systems: await Promise.all(parsed.systems.map(loadAdapter)) };
  const started = performance.now();
  console.log(`errand bench: ${options.systems.map((s) => s.name).join(', ')}; ${options.figures.join(', ')}; ${options.jobs} jobs, ${options.rounds} round(s)`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}\n`);
  const results = await runSuite({ ...options, log: (line) => console.log(line) });
  const settings = { jobs: options.jobs, rounds: options.rounds, backlog: options.backlog, figures: options.figures, systems: options.systems.map((s) => s.name) };
  writeJson(results, settings);
  console.log(`\n${markdownTable(results, options.systems.map((s) => s.name))}\n`);
  for (const system of options.systems) console.log(`- ${system.name}: ${system.config}`);
  console.log(`\n${results.length} runs in ${((performance.now() - started) / 1000).toFixed(0)} s; every round in .bench/results.json`);
  await closeRedisUtil();
}

main().catch(async (error) => {
  console.error(error);
  await closeRedisUtil();
  process.exit(1);
});
