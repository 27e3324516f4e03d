// `errand stats`: per queue its size, the age of its oldest job (latency) and recent throughput;
// processed and failed counters; scheduled jobs; workers and what they run; the newest failures.
// --json prints one JSON document for scripts (with --watch, one per line per refresh); --watch
// redraws a live view in place every --interval seconds, like top, until Ctrl-C (SIGINT) or
// SIGTERM, then shows the cursor again and exits 0. Each refresh costs the store one stats()
// and one read of the newest failures.

import { parseArgs } from 'node:util';
import type { AdminStore, FailedEntry } from '../storage/types.ts';
import { THROUGHPUT_MINUTES } from '../storage/throughput.ts';
import { errandFrom, usage, STORE_HELP, storeFlags, UsageError } from './shared.ts';
import { formatStats, HIDE_CURSOR, RECENT_FAILURES, SHOW_CURSOR, statsDocument, watchFrame, type Reading } from './stats-view.ts';

export const help = `Usage: errand stats [--json] [--watch [--interval SECONDS]]

Shows per queue its size, the age of its oldest job and the attempts finished in the last
${THROUGHPUT_MINUTES} minutes; processed and failed counters; scheduled jobs; workers and what they run;
the newest failures.
  --json              print one JSON document (with --watch: one per line at each refresh)
  --watch             a live view redrawn in place (like top) until Ctrl-C
  --interval SECONDS  --watch's refresh period (default 2)
${STORE_HELP}`;

async function read(admin: AdminStore): Promise<Reading> {
  const stats = await admin.stats();
  const from = Math.max(0, stats.failedCount - RECENT_FAILURES);
  const recentFailures: FailedEntry[] = stats.failedCount > 0 ? (await admin.failed(from, RECENT_FAILURES)).reverse() : [];
  return { stats, recentFailures, at: Date.now() };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({
    args: argv, options: { ...storeFlags, json: { type: 'boolean' }, watch: { type: 'boolean' }, interval: { type: 'string' } }, allowPositionals: false, strict: true,
  }));
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const intervalSeconds = values.interval === undefined ? 2 : Number(values.interval);
  if (!(intervalSeconds >= 0.1) || !Number.isFinite(intervalSeconds)) throw new UsageError(`--interval must be a number of seconds >= 0.1, got ${values.interval}`);
  if (values.interval !== undefined && !values.watch) throw new UsageError('--interval only applies with --watch');
  const errand = errandFrom(values);
  try {
    const admin = await errand.admin();
    if (!values.watch) {
      const reading = await read(admin);
      process.stdout.write(values.json ? `${JSON.stringify(statsDocument(reading), null, 2)}\n` : `${formatStats(reading).join('\n')}\n`);
      return 0;
    }
    return await watch(admin, (await errand.store()).description, values.json === true, intervalSeconds * 1000);
  } finally {
    await errand.close();
  }
}

/** The --watch loop: redraws until SIGINT/SIGTERM, which end the current wait at once. */
async function watch(admin: AdminStore, where: string, json: boolean, intervalMs: number): Promise<number> {
  const out = process.stdout;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let stopping = false;
  const onSignal = () => {
    stopping = true;
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (!json) out.write(HIDE_CURSOR);
  try {
    let previous: Reading | undefined;
    while (!stopping) {
      const reading = await Promise.race([read(admin), stopped.then(() => undefined)]);
      if (!reading) break;
      if (json) {
        out.write(`${JSON.stringify(statsDocument(reading))}\n`);
      } else {
        const seconds = previous ? (reading.at - previous.at) / 1000 : 0;
        const liveRate = previous && seconds > 0 ? Math.max(0, reading.stats.processed - previous.stats.processed) / seconds : undefined;
        const header = `errand stats  ${where}  ${new Date(reading.at).toISOString().slice(11, 19)} UTC  every ${intervalMs / 1000}s  (Ctrl-C quits)`;
        out.write(watchFrame(header, formatStats(reading, liveRate), out.isTTY ? out.columns : 160, out.isTTY ? out.rows : 1_000));
      }
      previous = reading;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, intervalMs))), stopped]);
      clearTimeout(timer);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!json) out.write(SHOW_CURSOR);
  }
  return 0;
}
