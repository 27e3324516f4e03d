// `errand stats`: per queue its size and the age of its oldest job; processed and failed
// counters; scheduled jobs; workers and what they run. --json for scripts, --watch to refresh.

import type { Stats } from '../storage/types.ts';
import { THROUGHPUT_MINUTES } from '../storage/throughput.ts';
import { parseArgs } from 'node:util';
import { errandFrom, usage, STORE_HELP, storeFlags } from './shared.ts';

export const help = `Usage: errand stats [--json] [--watch]

Shows per queue its size, the age of its oldest job and the attempts finished in the last
${THROUGHPUT_MINUTES} minutes; processed and failed counters; scheduled jobs; workers and what they run.
  --json            print the figures as JSON
  --watch           refresh every 2 seconds until Ctrl-C
${STORE_HELP}`;

function age(enqueuedAt: number | undefined, now: number): string {
  if (enqueuedAt === undefined) return '-';
  const seconds = Math.max(0, Math.round((now - enqueuedAt) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

export function formatStats(stats: Stats, now = Date.now()): string {
  const lines: string[] = [];
  const width = Math.max(5, ...stats.queues.map((q) => q.name.length));
  lines.push(`${'queue'.padEnd(width)}  ${'size'.padStart(9)}  ${'oldest'.padStart(6)}  done/${THROUGHPUT_MINUTES}m`);
  for (const queue of stats.queues) {
    lines.push(`${queue.name.padEnd(width)}  ${String(queue.size).padStart(9)}  ${age(queue.oldestEnqueuedAt, now).padStart(6)}  ${String(queue.recentlyDone).padStart(9)}`);
  }
  if (stats.queues.length === 0) lines.push('(no queues yet)');
  lines.push('');
  lines.push(`processed ${stats.processed}   failed ${stats.failed} (${stats.failedCount} in the failed list)   scheduled ${stats.scheduled}${stats.paused ? '   ALL WORKERS PAUSED' : ''}`);
  lines.push(`workers ${stats.workers.length}`);
  for (const worker of stats.workers) {
    const job = (worker.workingOn as { payload?: { class?: string } } | undefined)?.payload?.class;
    lines.push(`  ${worker.id}  holding ${worker.inFlight}${job ? `  running ${job}` : '  idle'}`);
  }
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({ args: argv, options: { ...storeFlags, json: { type: 'boolean' }, watch: { type: 'boolean' } }, allowPositionals: false, strict: true }));
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const errand = errandFrom(values);
  try {
    const admin = await errand.admin();
    for (;;) {
      const stats = await admin.stats();
      const text = values.json ? JSON.stringify(stats, null, 2) : formatStats(stats);
      process.stdout.write(values.watch ? `\x1b[2J\x1b[H${text}\n` : `${text}\n`);
      if (!values.watch) return 0;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  } finally {
    await errand.close();
  }
}
