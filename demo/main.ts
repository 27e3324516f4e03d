// `npm start`: what errand is for, in one run, on the embedded SQLite store (no Redis). Starts a
// stand-in slow API, two worker processes through the CLI and a small web app (and, while it
// keeps running, the dashboard on loopback), fires the same
// load with the slow work done inline and handed to errand, and prints what a user would feel.
// Then it keeps running for you to try (Ctrl-C stops everything cleanly), or with --once
// (ERRAND_DEMO_ONCE=1, for tests and CI) shuts down right after the report.

import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server } from 'node:http';
import { createDashboard, createErrand } from '../src/index.ts';
import { createApp, listen } from './app.ts';
import { demoDir } from './jobs.ts';
import { latencyTable, ms, percentile, runLoad, type Sample } from './load.ts';
import { backlog, waitForJobs, waitForWorkers } from './progress.ts';
import { startSlowApi } from './slow-api.ts';
import { startWorkers, stopWorkers, type WorkerProcess } from './workers.ts';

const once = process.argv.includes('--once') || ['1', 'true'].includes(process.env.ERRAND_DEMO_ONCE ?? '');
const REQUESTS = 40;
const IN_FLIGHT = 8;
const say = (line = '') => process.stdout.write(`${line}\n`);
const shown = (path: string) => (isAbsolute(relative('.', path)) || relative('.', path).startsWith('..') ? path : `./${relative('.', path)}`);

const dir = demoDir();
mkdirSync(dir, { recursive: true });
const url = `sqlite:${shown(join(dir, 'demo.db'))}`;
const logFile = join(dir, 'demo-workers.log');
const api = await startSlowApi();
process.env.ERRAND_DEMO_API = api.url; // the inline path runs the jobs in this process
const queued = createErrand({ url });
const inline = createErrand({ url, inline: true });
const admin = await queued.admin(); // opens (and creates) the database before the workers do
const server = createApp({ queued, inline });
let workers: WorkerProcess[] = [];
let workersReady: Promise<void> = Promise.resolve();
let stopping: Promise<void> | undefined;
let dashboard: Server | undefined;
process.on('SIGINT', () => void shutdown('SIGINT')); // at any time, even during the load
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// The workers live in their own process group: should this process end any other way, stop them.
process.on('exit', () => workers.forEach((w) => w.child.exitCode === null && w.child.signalCode === null && w.child.kill('SIGTERM')));

say(`errand demo — store ${url} (file ${join(dir, 'demo.db')}), no Redis needed`);
try {
  const before = await admin.stats(); // before the workers start, so jobs left from a previous run count
  // As with Resque: I/O-bound queues get many slots in one process; CPU-bound rendering gets few
  // slots in another, so a busy renderer cannot starve the API calls of CPU (and of their timeout).
  const specs = [{ queues: 'email,api', concurrency: 16 }, { queues: 'documents,email,api', concurrency: 2 }];
  workers = startWorkers(specs, { url, logFile, env: { ERRAND_DEMO_DIR: dir, ERRAND_DEMO_API: api.url } });
  await (workersReady = waitForWorkers(admin, workers));
  workers.forEach((w, i) => say(`worker process ${w.pid}: errand work --queues ${specs[i]!.queues} --concurrency ${specs[i]!.concurrency}`));
  say(`their logs: ${shown(logFile)}`);
  const base = await listen(server, Number(process.env.PORT) || 0);
  say(`web app on ${base}; slow weather API on ${api.url}\n`);

  say(`Firing ${REQUESTS} requests with the work done inline, then ${REQUESTS} handed to errand (${IN_FLIGHT} at a time)...`);
  const inlineSamples = await runLoad(base, 'inline', REQUESTS, IN_FLIGHT);
  const started = performance.now();
  const errandSamples = await runLoad(base, 'errand', REQUESTS, IN_FLIGHT);
  const answered = performance.now();
  const handedOff = errandSamples.filter((s): s is Sample & { output: string } => s.status === 202 && !!s.output);
  const finished = await waitForJobs(admin, handedOff.map((s) => s.output));
  const after = await admin.stats();

  say(`\n${latencyTable([...inlineSamples, ...errandSamples])}`);
  const inApp = (samples: Sample[]) => ms(percentile(samples.flatMap((s) => (s.serverMs === undefined ? [] : [s.serverMs])), 50));
  say(`(Inside the app's handler, p50: inline ${inApp(inlineSamples)}, errand ${inApp(errandSamples)}; the rest is HTTP and the load generator on this machine.)\n`);
  say(`With errand, all ${REQUESTS} requests were answered in ${((answered - started) / 1000).toFixed(2)} s; the 2 worker processes`);
  say(`finished all ${handedOff.length} handed-off jobs ${((finished - started) / 1000).toFixed(2)} s after the first request (every output file is there).`);
  const attempts = after.processed - before.processed;
  const leftover = backlog(before).queued + backlog(before).scheduled; // from an earlier run stopped mid-way
  const retries = attempts - handedOff.length - leftover;
  say(`Store counters: processed +${attempts} attempts (${retries} retries${leftover ? `, ${leftover} jobs left from an earlier run` : ''}), failed +${after.failed - before.failed}, ${after.failedCount} in the failed list.`);
  const inlineErrors = inlineSamples.filter((s) => s.status >= 500).length;
  if (inlineErrors > 0) say(`Inline, ${inlineErrors} sign-ups met a transient SMTP refusal: the user got a 502. Handed to errand, such refusals are retried.`);
  writeFileSync(join(dir, 'demo-report.json'), `${JSON.stringify({ store: url, inline: inlineSamples, errand: errandSamples, finishedMs: finished - started }, null, 2)}\n`);

  if (once) {
    await shutdown('--once');
  } else {
    // The dashboard on loopback only (no credentials needed there; see `errand web`).
    dashboard = createServer(createDashboard({ errand: queued, basePath: '/errand' }).node);
    const dashboardUrl = await new Promise<string>((resolve) => dashboard!.listen(Number(process.env.DASHBOARD_PORT) || 0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(dashboard!.address() as { port: number }).port}/errand`)));
    const curl = `curl -s -H 'content-type: application/json'`;
    say(`\nWhat to try next (the app keeps running; Ctrl-C stops it and the workers, nothing is lost):`);
    say(`  ${curl} -X POST ${base}/signup -d '{"email":"ada@example.com"}'`);
    say(`  ${curl} -X POST '${base}/signup?inline=1' -d '{"email":"grace@example.com"}'`);
    say(`  ${curl} -X POST ${base}/documents -d '{"title":"Q3 report","pages":12}'`);
    say(`  curl -s '${base}/weather?city=Paris'`);
    say(`  curl -s '${base}/weather?city=Atlantis'   # never answers: 3 s timeout, one retry, then failed`);
    say(`  open ${dashboardUrl}   # the dashboard: queues, failures, workers, a live jobs/s chart`);
    say(`  npx errand stats --url ${url}`);
    say(`  npx errand failed list --url ${url}`);
    say(`  tail -f ${shown(logFile)}   # VERBOSE=1 npm start logs every job`);
  }
} catch (error) {
  if (stopping) await stopping; // interrupted by Ctrl-C: shutdown() reports and exits
  process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
  await shutdown('error', 1);
}

/** Stops taking requests, stops the workers with SIGTERM (they put back unfinished jobs), then exits. */
function shutdown(why: string, code = 0): Promise<void> {
  stopping ??= (async () => {
    say(`\nStopping (${why}): web app closed, SIGTERM to the workers...`);
    server.closeAllConnections();
    server.close();
    dashboard?.closeAllConnections();
    dashboard?.close();
    // `errand work` handles SIGTERM only once its worker runs: a Ctrl-C during start-up waits for that.
    await Promise.race([workersReady.catch(() => {}), sleep(15_000)]);
    const codes = await stopWorkers(workers);
    const { queued: waiting, scheduled, held } = backlog(await admin.stats());
    say(`Workers exited with ${codes.join(', ')}. Jobs waiting for the next start: ${waiting} queued, ${scheduled} scheduled; held by no one: ${held === 0 ? 'yes' : `no (${held})`}.`);
    await Promise.all([inline.close(), queued.close(), api.close()]);
    process.exit(codes.every((c) => c === 0) && held === 0 ? code : 1);
  })();
  return stopping;
}
