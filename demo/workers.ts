// Starts and stops the demo's worker processes through the real CLI, exactly as you would run them
// in production: `errand work --require demo/jobs.ts …` with ERRAND_URL set. Their logs go to a
// file so the demo's report stays readable. Stopping sends SIGTERM, which makes a worker finish or
// put back its jobs and exit 0; the demo waits for that rather than killing anything.

import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/errand.js', import.meta.url));
const jobs = fileURLToPath(new URL('./jobs.ts', import.meta.url));

export interface WorkerSpec {
  queues: string;
  concurrency: number;
}

export interface WorkerOptions {
  url: string;
  logFile: string;
  /** Extra environment for the job code (data dir, API address). */
  env: Record<string, string>;
}

export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
}

export function startWorkers(specs: readonly WorkerSpec[], options: WorkerOptions): WorkerProcess[] {
  const log = openSync(options.logFile, 'a');
  // VERBOSE=1 logs every job and every retry: the log file is there to be read.
  const env: NodeJS.ProcessEnv = { VERBOSE: '1', ...process.env, ...options.env, ERRAND_URL: options.url };
  delete env.REDIS_URL; // ERRAND_URL wins anyway; this keeps the demo obviously Redis-free
  const workers = specs.map((spec) => {
    const child = spawn(process.execPath, [
      bin, 'work', '--require', jobs, '--queues', spec.queues, '--concurrency', String(spec.concurrency), '--shutdown-timeout', '10s',
    ], {
      env, stdio: ['ignore', log, log],
      // Their own process group: a Ctrl-C in the terminal reaches only the demo, which then stops
      // them with one SIGTERM. (Sent both, a worker that already finished stopping on SIGINT can
      // be caught by the SIGTERM while it exits, and die of it instead of exiting 0.)
      detached: true,
    });
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    return { pid: child.pid!, child, exited };
  });
  closeSync(log); // the children hold their own copies of the descriptor
  return workers;
}

/** Sends SIGTERM and waits for a clean exit; SIGKILL only as a last resort (recovery then returns their jobs). */
export async function stopWorkers(workers: readonly WorkerProcess[], graceMs = 15_000): Promise<(number | string)[]> {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  return Promise.all(workers.map(async (worker) => {
    const timer = setTimeout(() => worker.child.kill('SIGKILL'), graceMs);
    const code = await worker.exited;
    clearTimeout(timer);
    return code;
  }));
}
