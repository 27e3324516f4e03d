// `errand work`: one worker process. Flags first, then Resque's environment variables
// (QUEUE/QUEUES, INTERVAL in seconds, VERBOSE/VVERBOSE), then defaults.

import { ConfigError } from '../errors.ts';
import { installSignalHandlers } from '../worker/signals.ts';
import { loadJobFiles } from './load-jobs.ts';
import { parseArgs } from 'node:util';
import { errandFrom, usage, STORE_HELP, storeFlags } from './shared.ts';

export const help = `Usage: errand work --require ./jobs.ts [options]

Runs a worker process that takes jobs from its queues and performs them.

  --require FILE          job file (TypeScript or JavaScript) whose exports are jobs; repeatable
  --queues LIST           a,b strict priority · * every queue · a:3,b:1 weighted (default: QUEUES/QUEUE env, else *)
  --concurrency N         jobs run at once in this process (default 1)
  --interval SECONDS      poll for jobs nobody announced, e.g. pushed by Ruby Resque (default: INTERVAL env, else 5)
  --shutdown-timeout D    on SIGTERM/SIGINT, how long running jobs get before they are put back (default 25s)
${STORE_HELP}

Signals: TERM/INT graceful stop (a second INT forces) · QUIT wait for running jobs · USR2 pause · CONT resume.
Environment: VERBOSE=1 logs every job, VVERBOSE=1 also the fetch loop.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({ args: argv, options: {
    ...storeFlags,
    require: { type: 'string', short: 'r', multiple: true },
    queues: { type: 'string', short: 'q' },
    concurrency: { type: 'string', short: 'c' },
    interval: { type: 'string' },
    'shutdown-timeout': { type: 'string' },
  }, allowPositionals: false, strict: true }));
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const files = values.require ?? [];
  if (files.length === 0) throw new ConfigError('work needs at least one --require FILE with your jobs');
  const concurrency = values.concurrency === undefined ? 1 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError(`--concurrency must be a whole number >= 1, got ${values.concurrency}`);
  const intervalText = values.interval ?? process.env.INTERVAL;
  const intervalSeconds = intervalText === undefined ? undefined : Number(intervalText);
  if (intervalSeconds !== undefined && !(intervalSeconds > 0)) throw new ConfigError(`--interval must be a number of seconds > 0, got ${intervalText}`);
  const queues = values.queues ?? process.env.QUEUES ?? process.env.QUEUE ?? '*';

  const jobs = await loadJobFiles(files);
  const errand = errandFrom(values, { jobs });
  const worker = errand.worker({
    queues, concurrency,
    ...(intervalSeconds === undefined ? {} : { pollInterval: intervalSeconds * 1000 }),
    ...(values['shutdown-timeout'] === undefined ? {} : { shutdownTimeout: values['shutdown-timeout'] }),
  });
  await worker.start();
  return new Promise<number>((resolve) => {
    installSignalHandlers(worker, errand.log, (code) => {
      errand.close().finally(() => resolve(code));
    });
  });
}
