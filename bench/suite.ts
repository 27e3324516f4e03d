// Runs the chosen figures over the chosen systems in alternating rounds (round 1: A, B, C;
// round 2: B, C, A; ...), so slow drift of the machine spreads over every system alike. Used by
// main.ts (the CLI) and by the smoke test. The backlog figure runs for errand only: it fills the
// big backlog once per system and takes `measured` jobs from it each round (three rounds per
// round asked: the runs are short), next to a fresh small backlog of `measured` jobs.

import type { Adapter } from './adapters/types.ts';
import { backlogRun, fill, idleAll, runFigure, type Figure, type FigureOptions } from './figures.ts';
import type { RoundResult } from './report.ts';

export interface SuiteOptions extends FigureOptions {
  systems: readonly Adapter[];
  figures: readonly Figure[];
  rounds: number;
  /** Jobs timed in each backlog run; the small backlog is exactly this many. */
  measured: number;
  log?: (line: string) => void;
}

export async function runSuite(options: SuiteOptions): Promise<RoundResult[]> {
  const log = options.log ?? (() => {});
  const results: RoundResult[] = [];
  const wants = (figure: Figure) => options.figures.includes(figure);
  for (let round = 1; round <= options.rounds; round++) {
    for (const figure of options.figures) {
      if (figure === 'backlog') continue;
      if (figure === 'idle') {
        const started = performance.now();
        for (const [adapter, metrics] of await idleAll(options.systems, options)) {
          results.push({ system: adapter.name, figure, round, metrics });
          log(`round ${round} idle        ${adapter.name.padEnd(13)} ${summary(metrics)} (all systems together, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
        }
        continue;
      }
      // The order rotates each round: the system that runs first after another figure pays for
      // that figure's garbage and the bench process's warm-up, so no system always runs first.
      for (const adapter of rotate(options.systems, round - 1)) {
        const started = performance.now();
        const metrics = await runFigure(figure, adapter, options);
        results.push({ system: adapter.name, figure, round, metrics });
        log(`round ${round} ${figure.padEnd(11)} ${adapter.name.padEnd(13)} ${summary(metrics)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
  }
  if (wants('backlog')) results.push(...(await backlogRounds(options, log)));
  return results;
}

async function backlogRounds(options: SuiteOptions, log: (line: string) => void): Promise<RoundResult[]> {
  const results: RoundResult[] = [];
  const systems = options.systems.filter((adapter) => adapter.name.startsWith('errand'));
  // A 10k-job run lasts ~0.1 s, so one stray pause moves it by 10 %: three times the rounds
  // keep the median steady. Each round takes `measured` jobs from the big backlog; it must not run dry.
  const rounds = options.rounds * 3;
  if (options.backlog < options.measured * (rounds + 1)) throw new Error(`--backlog must be at least ${options.measured * (rounds + 1)}`);
  const bigNs = new Map<Adapter, string>();
  try {
    for (const adapter of systems) {
      const ns = `bench-${adapter.name}-big-${process.pid}`;
      bigNs.set(adapter, ns);
      const started = performance.now();
      await fill(adapter, ns, options.backlog);
      log(`backlog: ${adapter.name} filled with ${options.backlog} jobs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    for (let round = 1; round <= rounds; round++) {
      for (const adapter of systems) {
        const smallNs = `bench-${adapter.name}-small-${process.pid}-${round}`;
        let small: number;
        try {
          await fill(adapter, smallNs, options.measured);
          small = await backlogRun(adapter, smallNs, options.measured);
        } finally {
          await adapter.teardown(smallNs);
        }
        const big = await backlogRun(adapter, bigNs.get(adapter)!, options.measured);
        const metrics = { 'backlog 10k: processed/s': small, 'backlog big: processed/s': big, 'backlog big ÷ 10k': big / small };
        results.push({ system: adapter.name, figure: 'backlog', round, metrics });
        log(`round ${round} backlog     ${adapter.name.padEnd(13)} ${summary(metrics)}`);
      }
    }
  } finally {
    for (const [adapter, ns] of bigNs) await adapter.teardown(ns);
  }
  return results;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function summary(metrics: Record<string, number>): string {
  return Object.entries(metrics).filter(([name]) => name !== 'jobs').map(([name, value]) => `${name}=${value < 100 ? value.toFixed(2) : Math.round(value)}`).join(' ');
}
