// `errand stats --json` and `--watch` (issue #13, part 4), as real processes on a SQLite file:
// the JSON document matches the store's state; the live view redraws in place (cursor home,
// lines cleared), shows the queues and the newest failure, never passes a job's control
// characters to the terminal, and on SIGINT shows the cursor again and exits 0.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createErrand, defineJob, type Errand } from '../src/index.ts';
import { ROOT, waitFor } from './support/cli-harness.ts';
import { ERRAND } from './support/errand-bin.ts';
import { quiet } from './support/errand.ts';

const Mail = defineJob({ name: 'StatsMail', queue: 'stats-mail', perform(_to: string) {} });
const Report = defineJob({ name: 'StatsReport', queue: 'stats-reports', perform() {} });
// An error message that would retitle the terminal and ring its bell if printed raw.
const HOSTILE_ERROR = '\x1b]0;pwned\x07\x1b[2J boom';
const Hostile = defineJob({ name: 'StatsHostile', queue: 'stats-hostile', perform() { throw new Error(HOSTILE_ERROR); } });

// One store state for every test (read-only for them): waiting jobs in two queues, one delayed job, one failure.
let state: Promise<{ errand: Errand; url: string; dir: string }> | undefined;
function withStore(fn: (errand: Errand, url: string) => Promise<void>): Promise<void> {
  state ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'errand-stats-'));
    const url = `sqlite:${join(dir, 'errand.db')}`;
    const errand = createErrand({ url, logger: quiet });
    await errand.enqueueBulk(Mail, [['a'], ['b'], ['c']]);
    await errand.enqueue(Report);
    await errand.enqueueIn('1h', Report);
    await errand.enqueue(Hostile);
    const worker = errand.worker({ queues: ['stats-hostile'] });
    await worker.start();
    await waitFor('the failure', async () => (await (await errand.admin()).failedCount()) === 1);
    await worker.stop();
    return { errand, url, dir };
  })();
  return state.then(({ errand, url }) => fn(errand, url));
}

after(async () => {
  const done = await state;
  await done?.errand.close();
  if (done) rmSync(done.dir, { recursive: true, force: true });
});

function errandProcess(args: string[]) {
  const env = { ...process.env };
  for (const name of ['ERRAND_URL', 'REDIS_URL']) delete env[name];
  const child = spawn(process.execPath, [...ERRAND, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const io = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (io.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (io.stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, io, exited };
}

describe('stats as a process', { concurrency: true }, () => {
  test('stats --json: one document matching the store (queues with latency and throughput, counters, workers, newest failures)', () => withStore(async (errand, url) => {
    const run = errandProcess(['stats', '--json', '--url', url]);
    const { code } = await run.exited;
    assert.equal(code, 0, run.io.stderr);
    const doc = JSON.parse(run.io.stdout) as {
      at: string; processed: number; failed: number; failedCount: number; scheduled: number; paused: boolean;
      queues: { name: string; size: number; oldestEnqueuedAt: string | null; latencySeconds: number; recentlyDone: number; throughputPerSecond: number }[];
      workers: unknown[]; recentFailures: { class: string; queue: string; exception: string; error: string }[];
    };
    const stats = await (await errand.admin()).stats();
    assert.deepEqual({ processed: doc.processed, failed: doc.failed, failedCount: doc.failedCount, scheduled: doc.scheduled, paused: doc.paused },
      { processed: stats.processed, failed: stats.failed, failedCount: 1, scheduled: 1, paused: false });
    assert.deepEqual(doc.queues.map((q) => [q.name, q.size]).sort(), stats.queues.map((q) => [q.name, q.size]).sort());
    const mail = doc.queues.find((q) => q.name === 'stats-mail')!;
    const stored = stats.queues.find((q) => q.name === 'stats-mail')!;
    assert.equal(mail.size, 3);
    assert.equal(mail.oldestEnqueuedAt, new Date(stored.oldestEnqueuedAt!).toISOString());
    assert.equal(mail.latencySeconds, (Date.parse(doc.at) - stored.oldestEnqueuedAt!) / 1000, 'latency is the oldest job\'s age at the reading');
    const hostile = doc.queues.find((q) => q.name === 'stats-hostile')!;
    assert.deepEqual([hostile.size, hostile.recentlyDone, hostile.throughputPerSecond], [0, 1, 1 / 300]);
    assert.deepEqual(doc.workers, []);
    assert.deepEqual(doc.recentFailures.map((f) => [f.class, f.queue, f.exception, f.error]), [['StatsHostile', 'stats-hostile', 'Error', HOSTILE_ERROR]], 'JSON keeps the text exactly (escaped by JSON)');
  }));

  test('stats --watch: redraws in place until SIGINT, shows queues and failures, no raw control characters; cursor restored, exit 0', () => withStore(async (_errand, url) => {
    const run = errandProcess(['stats', '--watch', '--interval', '0.2', '--url', url]);
    const frames = () => run.io.stdout.split('\x1b[H').length - 1;
    await waitFor(`three refreshes (stderr: ${run.io.stderr})`, () => frames() >= 3);
    run.child.kill('SIGINT');
    const { code, signal } = await run.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, run.io.stderr);
    const out = run.io.stdout;
    assert.ok(out.startsWith('\x1b[?25l'), 'the cursor is hidden while the view runs');
    assert.ok(out.endsWith('\x1b[?25h'), 'and shown again at the end');
    assert.ok(out.includes('\x1b[K') && out.includes('\x1b[J'), 'each frame clears what the last one left');
    const last = out.slice(out.lastIndexOf('\x1b[H'));
    for (const queue of ['stats-mail', 'stats-reports', 'stats-hostile']) assert.ok(last.includes(queue), `${queue} in the last frame`);
    assert.match(last, /stats-mail\s+3\s/);
    assert.match(last, /StatsHostile {2}stats-hostile {2}Error: \?\]0;pwned\?\?\[2J boom/, 'the failure, its control characters as ?');
    assert.ok(!out.includes('\x1b]0;') && !out.includes('\x07') && !out.includes('\x1b[2J'), 'nothing from the store reaches the terminal as a control sequence');
  }));

  test('stats --watch in a terminal (a pseudo-terminal through script(1)): lines cut to its width, rows to its height', { skip: !existsSync('/usr/bin/script') && 'no script(1) here' }, () => withStore(async (_errand, url) => {
    // stty sets the pty's size; timeout sends SIGINT as Ctrl-C would, and passes on the exit code.
    const command = `stty cols 40 rows 8; timeout --preserve-status -s INT 4 ${process.execPath} ${ERRAND.join(' ')} stats --watch --interval 0.3 --url ${url}`;
    const run = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    run.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => run.on('close', resolve));
    assert.equal(code, 0, out);
    const frames = out.split('\x1b[H').slice(1);
    assert.ok(frames.length >= 2, `two frames at least: ${JSON.stringify(out.slice(0, 300))}`);
    const last = frames.at(-2)!; // the final one may be cut short by the SIGINT
    const lines = last.split('\r\n').map((line) => line.replaceAll('\x1b[K', '').replaceAll('\x1b[J', '')).filter((line, i, all) => i < all.length - 1 || line !== '');
    assert.ok(lines.every((line) => line.length <= 39), `every line within 39 columns: ${JSON.stringify(lines)}`);
    assert.ok(lines.length <= 7, `within the height: ${lines.length} lines`);
    assert.match(last, /more lines \(a taller/, 'says what did not fit');
    assert.ok(out.endsWith('\x1b[?25h'), 'cursor shown again');
  }));
});

test('stats: a bad --interval is a usage error', async () => {
  const { run } = await import('../src/cli/stats.ts');
  for (const args of [['--watch', '--interval', '0'], ['--watch', '--interval', 'soon'], ['--interval', '1']]) {
    await assert.rejects(run([...args, '--url', 'sqlite:/nonexistent/never-opened.db']), (error: Error) => error.constructor.name === 'UsageError' && /--interval/.test(error.message), args.join(' '));
  }
});
