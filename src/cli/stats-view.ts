// What `errand stats` prints: the JSON document for scripts (--json), the table (one look), and
// the live view (--watch), all from one Stats reading plus the newest failures. Pure functions
// of their inputs. Queue names, worker ids, job classes and error messages are written by
// whoever can enqueue, so every one is made printable before it reaches a terminal: a control
// character (an escape sequence in an error message) is shown as "?", never sent to the terminal.

import type { FailedEntry, Stats } from '../storage/types.ts';
import { THROUGHPUT_MINUTES } from '../storage/throughput.ts';

/** The newest failures the live view and --json show. */
export const RECENT_FAILURES = 5;

export interface Reading {
  readonly stats: Stats;
  /** The newest failed entries, newest first. */
  readonly recentFailures: readonly FailedEntry[];
  /** When it was read (epoch ms). */
  readonly at: number;
}

/** C0 and C1 controls (ESC, BEL, CR, ...) and DEL, as "?". */
export function printable(text: unknown): string {
  return String(text ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

export function age(enqueuedAt: number | undefined, now: number): string {
  if (enqueuedAt === undefined) return '-';
  const seconds = Math.max(0, Math.round((now - enqueuedAt) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

const perSecond = (recentlyDone: number) => recentlyDone / (THROUGHPUT_MINUTES * 60);
const rate = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function failureOf(entry: FailedEntry): { failedAt: string | null; class: string | null; queue: string | null; exception: string | null; error: string | null } {
  const e = entry.entry ?? {};
  const payload = e.payload as { class?: unknown } | undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return { failedAt: text(e.failed_at), class: text(payload?.class), queue: text(e.queue), exception: text(e.exception), error: text(e.error) };
}

/** The --json document: Stats' own fields (processed, failed, failedCount, scheduled, paused, queues, workers) plus derived figures. */
export function statsDocument(reading: Reading): Record<string, unknown> {
  const { stats, at } = reading;
  return {
    at: new Date(at).toISOString(),
    processed: stats.processed,
    failed: stats.failed,
    failedCount: stats.failedCount,
    scheduled: stats.scheduled,
    paused: stats.paused,
    queues: stats.queues.map((q) => ({
      name: q.name, size: q.size,
      oldestEnqueuedAt: q.oldestEnqueuedAt === undefined ? null : new Date(q.oldestEnqueuedAt).toISOString(),
      latencySeconds: q.oldestEnqueuedAt === undefined ? 0 : Math.max(0, at - q.oldestEnqueuedAt) / 1000,
      recentlyDone: q.recentlyDone, throughputPerSecond: perSecond(q.recentlyDone),
    })),
    throughputWindowMinutes: THROUGHPUT_MINUTES,
    workers: stats.workers.map((w) => ({
      id: w.id, queues: w.queues, startedAt: w.startedAt ?? null, heartbeatAt: w.heartbeatAt ?? null, inFlight: w.inFlight,
      running: runningClass(w.workingOn),
    })),
    recentFailures: reading.recentFailures.map(failureOf),
  };
}

function runningClass(workingOn: unknown): string | null {
  const cls = (workingOn as { payload?: { class?: unknown } } | undefined)?.payload?.class;
  return typeof cls === 'string' ? cls : null;
}

/** The table `errand stats` prints (and the body of each --watch frame). `liveRate`: jobs/s since the last frame. */
export function formatStats(reading: Reading, liveRate?: number): string[] {
  const { stats, at: now } = reading;
  const lines: string[] = [];
  const names = stats.queues.map((q) => printable(q.name));
  const width = Math.max(5, ...names.map((n) => n.length));
  lines.push(`${'queue'.padEnd(width)}  ${'size'.padStart(9)}  ${'latency'.padStart(7)}  ${`done/${THROUGHPUT_MINUTES}m`.padStart(9)}  ${'jobs/s'.padStart(7)}`);
  stats.queues.forEach((queue, i) => {
    lines.push(`${names[i]!.padEnd(width)}  ${String(queue.size).padStart(9)}  ${age(queue.oldestEnqueuedAt, now).padStart(7)}  ${String(queue.recentlyDone).padStart(9)}  ${rate(perSecond(queue.recentlyDone)).padStart(7)}`);
  });
  if (stats.queues.length === 0) lines.push('(no queues yet)');
  lines.push('');
  const live = liveRate === undefined ? '' : ` (${rate(liveRate)}/s now)`;
  lines.push(`processed ${stats.processed}${live}   failed ${stats.failed} (${stats.failedCount} in the failed list)   scheduled ${stats.scheduled}${stats.paused ? '   ALL WORKERS PAUSED' : ''}`);
  const busy = stats.workers.filter((w) => runningClass(w.workingOn) !== null).length;
  lines.push(`workers ${stats.workers.length} (${busy} busy)`);
  for (const worker of stats.workers) {
    const job = runningClass(worker.workingOn);
    lines.push(`  ${printable(worker.id)}  holding ${worker.inFlight}${job ? `  running ${printable(job)}` : '  idle'}`);
  }
  if (reading.recentFailures.length > 0) {
    lines.push('');
    lines.push(`newest failures (of ${stats.failedCount}):`);
    for (const entry of reading.recentFailures) {
      const f = failureOf(entry);
      lines.push(`  ${printable(f.failedAt ?? '?')}  ${printable(f.class ?? '?')}  ${printable(f.queue ?? '?')}  ${printable(f.exception ?? 'Error')}: ${printable(f.error ?? '')}`);
    }
  }
  return lines;
}

const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';
export const HIDE_CURSOR = '\x1b[?25l';
export const SHOW_CURSOR = '\x1b[?25h';

/**
 * One --watch frame, drawn over the previous one in place (cursor home, each line cleared to its
 * end, the rest of the screen cleared below): no flicker, as `top` does. Lines are cut to the
 * terminal's width (less one column), and to its height with a note of what was left out.
 */
export function watchFrame(header: string, body: readonly string[], columns: number, rows: number): string {
  let lines = [printable(header), '', ...body];
  if (lines.length > rows - 1) lines = [...lines.slice(0, Math.max(1, rows - 2)), `… ${lines.length - Math.max(1, rows - 2)} more lines (a taller terminal shows them)`];
  // One column spare: a line that fills the last column leaves some terminals waiting to wrap.
  const width = Math.max(2, columns - 1);
  return HOME + lines.map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line) + CLEAR_LINE_END).join('\n') + '\n' + CLEAR_BELOW;
}
