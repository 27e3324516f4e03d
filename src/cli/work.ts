// `errand work`: one worker process, or with --processes N (Resque's COUNT) a supervisor that keeps
// N worker processes running (src/supervisor/). Flags first, then Resque's environment variables
// (QUEUE/QUEUES, INTERVAL in seconds, COUNT, VERBOSE/VVERBOSE), then defaults. A process the
// supervisor forked (ERRAND_SUPERVISED=1 and an IPC channel) runs one worker and reports to it.

import type { JobSpec } from '../job/define.ts';
import { toMs } from '../job/duration.ts';
import { createLogger } from '../log.ts';
import { isSupervisedChild, SupervisorAgent, supervisorWantsMetrics } from '../supervisor/agent.ts';
import { parseBytes } from '../supervisor/limits.ts';
import { supervise } from '../supervisor/supervise.ts';
import { installSignalHandlers } from '../worker/signals.ts';
import { loadFiles } from './load-jobs.ts';
import { parseArgs } from 'node:util';
import { errandFrom, usage, STORE_HELP, storeFlags, UsageError } from './shared.ts';

export const help = `Usage: errand work --require ./jobs.ts [options]

Runs a worker process that takes jobs from its queues and performs them.

  --require FILE          job file (TypeScript or JavaScript) whose exports are jobs and schedules (defineSchedule:
                          this process offers their ticks; the store lets one process enqueue each); repeatable
  --queues LIST           a,b strict priority · * every queue · a:3,b:1 weighted (default: QUEUES/QUEUE env, else the
                          queues of the jobs the --require files define, in the order they are defined; not *, so
                          this worker takes no jobs it cannot run, e.g. Ruby workers' jobs on a shared namespace)
  --concurrency N         jobs run at once in this process (default 1)
  --interval SECONDS      look for jobs nobody announced (pushed by Ruby Resque) at least this often (default: INTERVAL env,
                          else 5; an idle worker's heartbeat looks every 2 s anyway)
  --shutdown-timeout D    on SIGTERM/SIGINT, how long running jobs get before they are put back (default 25s)
  --dead-after D          this worker's lease: not renewed for D (and one heartbeat more), it is dead and its jobs go
                          back to their queues (default 5s; renewed from a thread of its own, so a CPU-bound job
                          does not stop it)
  --stuck-timeout D       once the event loop has not answered for D, stop renewing the lease so the jobs come
                          back (default 30s); a supervisor also SIGKILLs and replaces such a process
${STORE_HELP}

Supervised pool (any of these runs a supervisor that keeps worker processes running):
  --processes N           worker processes to keep running (default: COUNT env, else 1)
  --max-memory SIZE       replace a process gracefully when its RSS passes SIZE (e.g. 512MB)
  --max-jobs N            replace a process gracefully after it finished N jobs
  --health-port P         serve GET /healthz (supervisor alive), /readyz (a worker is registered) and /metrics
                          (Prometheus: the processes' counters summed, store gauges; docs/metrics.md) on port P
  --no-store-metrics      /metrics leaves out the gauges read from the store (queues, scheduled, failed, workers):
                          give it to every pool but the one process that reads them (or errand web), so the store
                          is read once per scrape interval, not once per pool
  --watch                 development: rolling restart when files next to the --require files change

Signals: TERM/INT graceful stop (a second INT forces) · QUIT wait for running jobs · USR2 pause · CONT resume.
Supervisor: the same, passed on to every process, and HUP rolling restart (new code, no job dropped) ·
TTIN one process more · TTOU one less.
Environment: VERBOSE=1 logs every job, VVERBOSE=1 also the fetch loop.`;

const options = {
  ...storeFlags,
  require: { type: 'string', short: 'r', multiple: true },
  queues: { type: 'string', short: 'q' },
  concurrency: { type: 'string', short: 'c' },
  interval: { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  'dead-after': { type: 'string' },
  processes: { type: 'string', short: 'n' },
  'max-memory': { type: 'string' },
  'max-jobs': { type: 'string' },
  'stuck-timeout': { type: 'string' },
  'health-port': { type: 'string' },
  'no-store-metrics': { type: 'boolean' },
  watch: { type: 'boolean' },
} as const;

function wholeNumber(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number >= ${min}, got ${text}`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({ args: argv, options, allowPositionals: false, strict: true }));
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const files = values.require ?? [];
  if (files.length === 0) throw new UsageError('work needs at least one --require FILE with your jobs');
  const concurrency = wholeNumber(values.concurrency, '--concurrency', 1) ?? 1;
  const intervalText = values.interval ?? process.env.INTERVAL;
  const intervalSeconds = intervalText === undefined ? undefined : Number(intervalText);
  if (intervalSeconds !== undefined && !(intervalSeconds > 0)) throw new UsageError(`--interval must be a number of seconds > 0, got ${intervalText}`);
  // No list given: the loaded jobs' queues (see jobQueues), never '*', as Resque refuses to guess.
  const givenQueues = values.queues ?? process.env.QUEUES ?? process.env.QUEUE;
  const maxJobs = wholeNumber(values['max-jobs'], '--max-jobs', 1);
  const shutdownTimeoutMs = usage(() => toMs(values['shutdown-timeout'] ?? '25s', '--shutdown-timeout'));

  const supervised = isSupervisedChild();
  const processesText = values.processes ?? (supervised ? undefined : process.env.COUNT);
  const wantsSupervisor = !supervised && (processesText !== undefined || values.watch === true || values['health-port'] !== undefined
    || values['max-memory'] !== undefined || maxJobs !== undefined);
  if (wantsSupervisor) {
    // Each child gets the worker flags only; the supervisor's own flags stay here.
    const childArgs = ['work', ...files.flatMap((file) => ['--require', file]), ...(givenQueues === undefined ? [] : ['--queues', givenQueues]),
      '--concurrency', String(concurrency),
      '--shutdown-timeout', `${shutdownTimeoutMs}ms`,
      ...(intervalText === undefined ? [] : ['--interval', intervalText]),
      ...(values['dead-after'] === undefined ? [] : ['--dead-after', values['dead-after']]),
      ...(values['stuck-timeout'] === undefined ? [] : ['--stuck-timeout', values['stuck-timeout']]),
      ...(values.url === undefined ? [] : ['--url', values.url]),
      ...(values.namespace === undefined ? [] : ['--namespace', values.namespace]),
      ...(maxJobs === undefined ? [] : ['--max-jobs', String(maxJobs)])];
    const healthPort = wholeNumber(values['health-port'], '--health-port', 0);
    // /metrics reads the store's gauges through a connection of the supervisor's own, opened at the
    // first scrape; with --no-store-metrics another process reads them and this one opens none.
    const store = healthPort === undefined || values['no-store-metrics'] ? undefined : errandFrom(values);
    return supervise({
      processes: wholeNumber(processesText, processesText === values.processes ? '--processes' : 'COUNT', 0) ?? 1,
      childArgs,
      ...(values['max-memory'] === undefined ? {} : { maxMemoryBytes: parseBytes(values['max-memory']) }),
      stuckTimeoutMs: usage(() => toMs(values['stuck-timeout'] ?? '30s', '--stuck-timeout')),
      shutdownTimeoutMs,
      ...(healthPort === undefined ? {} : { healthPort }),
      ...(values.watch ? { watchFiles: files } : {}),
      ...(store ? { metricsStore: { admin: () => store.admin(), schedules: async () => (await store.store()).schedules(), close: () => store.close() } } : {}),
    }, createLogger());
  }

  const agent = supervised ? new SupervisorAgent(maxJobs) : undefined;
  // Heartbeats start before the job files load, so a slow import is not taken for a stuck process;
  // an orphaned child (supervisor gone) stops as if sent TERM.
  agent?.start(() => process.kill(process.pid, 'SIGTERM'));
  try {
    return await runWorker();
  } catch (error) {
    agent?.stop(); // lets a child that failed to start exit, so the supervisor sees it
    throw error;
  }

  async function runWorker(): Promise<number> {
    const { jobs, schedules } = await loadFiles(files);
    const errand = errandFrom(values, { jobs, metrics: supervisorWantsMetrics() });
    if (supervisorWantsMetrics()) agent?.reportMetrics(() => errand.recorder().snapshot());
    const queues = givenQueues ?? jobQueues(errand.jobs().values());
    if (givenQueues === undefined) errand.log.info({ queues }, 'no --queues given: taking jobs from the queues of the loaded jobs');
    let worker;
    try {
      worker = errand.worker({
        queues, concurrency, schedules,
        ...(intervalSeconds === undefined ? {} : { pollInterval: intervalSeconds * 1000 }),
        ...(values['shutdown-timeout'] === undefined ? {} : { shutdownTimeout: values['shutdown-timeout'] }),
        ...(values['dead-after'] === undefined ? {} : { deadAfter: usage(() => toMs(values['dead-after']!, '--dead-after')) }),
        ...(values['stuck-timeout'] === undefined ? {} : { stuckTimeout: usage(() => toMs(values['stuck-timeout']!, '--stuck-timeout')) }),
      });
    } catch (error) {
      await errand.close();
      throw error;
    }
    agent?.watch(worker);
    // Signal handlers go in before start(), so a TERM during start-up (loading, registering, the
    // first reserve) still stops gracefully: stop() waits for start() to finish first.
    const stopped = new Promise<number>((resolve) => {
      installSignalHandlers(worker, errand.log, (code) => {
        // Exit as soon as the worker stopped (or at once when forced): jobs abandoned at the
        // deadline, already put back, may hold timers that would keep the process alive, and a
        // signal arriving after a clean stop must not find the process without handlers.
        const exit = () => {
          agent?.stop();
          process.exit(code);
        };
        if (code !== 0) exit();
        else errand.close().finally(exit);
        resolve(code);
      });
    });
    try {
      await worker.start();
    } catch (error) {
      // An unreachable store: say so and exit, rather than linger reconnecting.
      await errand.close().catch(() => {});
      throw error;
    }
    agent?.ready(worker.id ?? '');
    return stopped;
  }
}

/** The default queue list: every queue a loaded job names, in the order the jobs were defined. */
export function jobQueues(specs: Iterable<JobSpec>): string {
  const queues = new Set<string>();
  for (const spec of specs) queues.add(spec.queue);
  return [...queues].join(',');
}
