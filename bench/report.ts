// Turns the rounds into the report: per system and metric, the median of the rounds, and for
// each peer the ratio errand-redis ÷ peer (for rates, above 1 means errand is faster; for
// latency, CPU, memory and commands, below 1 means errand uses less). Writes every round to
// .bench/results.json so runs can be compared later.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Metrics } from './figures.ts';

export interface RoundResult {
  system: string;
  figure: string;
  round: number;
  metrics: Metrics;
}

/** Metric names in table order; `jobs` is bookkeeping, not shown. */
const ORDER = [
  'processed50/s', 'processed1/s', 'bulk enqueue/s', 'single enqueue/s',
  'enqueue seq/s', 'enqueue seq p50 µs', 'enqueue seq p99 µs', 'enqueue seq p99.9 µs',
  'enqueue c50/s', 'enqueue c50 p50 µs', 'enqueue c50 p99 µs', 'enqueue c50 p99.9 µs',
  'http requests/s', 'http enqueue p50 µs', 'http enqueue p99 µs', 'http enqueue p99.9 µs',
  'start → first job ms', 'latency p50 ms', 'latency p99 ms',
  'backlog 10k: processed/s', 'backlog big: processed/s', 'backlog big ÷ 10k', 'idle worker CPU %', 'worker RSS MB',
  'store bytes/waiting job', 'redis cmds/job',
];

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** system → metric → median over rounds. */
export function medians(results: readonly RoundResult[]): Map<string, Map<string, number>> {
  const values = new Map<string, Map<string, number[]>>();
  for (const result of results) {
    const bySystem = values.get(result.system) ?? values.set(result.system, new Map()).get(result.system)!;
    for (const [metric, value] of Object.entries(result.metrics)) {
      if (Number.isFinite(value)) (bySystem.get(metric) ?? bySystem.set(metric, []).get(metric)!).push(value);
    }
  }
  return new Map([...values].map(([system, byMetric]) => [system, new Map([...byMetric].map(([metric, list]) => [metric, median(list)]))]));
}

function format(value: number | undefined): string {
  if (value === undefined) return '—';
  if (Math.abs(value) >= 10_000) return `${(value / 1000).toFixed(value >= 100_000 ? 0 : 1)}k`;
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function markdownTable(results: readonly RoundResult[], systems: readonly string[], base = 'errand-redis'): string {
  const table = medians(results);
  const shown = systems.filter((system) => table.has(system));
  const metrics = ORDER.filter((metric) => shown.some((system) => table.get(system)!.has(metric)));
  const peers = shown.filter((system) => !system.startsWith('errand'));
  const header = ['figure (median)', ...shown, ...peers.map((peer) => `${base} ÷ ${peer}`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const metric of metrics) {
    const cells = shown.map((system) => format(table.get(system)!.get(metric)));
    const own = table.get(base)?.get(metric);
    const ratios = peers.map((peer) => {
      const theirs = table.get(peer)!.get(metric);
      return own === undefined || theirs === undefined || theirs === 0 ? '—' : `×${(own / theirs).toFixed(2)}`;
    });
    lines.push(`| ${metric} | ${[...cells, ...ratios].join(' | ')} |`);
  }
  return lines.join('\n');
}

export function writeJson(results: readonly RoundResult[], settings: Record<string, unknown>, path = '.bench/results.json'): void {
  mkdirSync('.bench', { recursive: true });
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, platform: process.platform };
  const summary = Object.fromEntries([...medians(results)].map(([system, byMetric]) => [system, Object.fromEntries(byMetric)]));
  writeFileSync(path, `${JSON.stringify({ at: new Date().toISOString(), machine, settings, medians: summary, rounds: results }, null, 2)}\n`);
}
