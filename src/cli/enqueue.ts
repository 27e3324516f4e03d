// `errand enqueue <Job> '<json args>'`: puts a job on a queue from the shell. The job need not be
// defined here (a Ruby worker may run it), so the queue comes from --queue or --require.

import { ConfigError } from '../errors.ts';
import { defaults } from '../defaults.ts';
import { validateJobName, validateQueueName } from '../job/names.ts';
import { foreignJob, specOf } from '../job/define.ts';
import { toMs } from '../job/duration.ts';
import { loadJobFiles } from './load-jobs.ts';
import { parseArgs } from 'node:util';
import { errandFrom, usage, STORE_HELP, storeFlags, UsageError } from './shared.ts';

export const help = `Usage: errand enqueue <JobName> '<json args array>' [options]

  --queue NAME      queue to push to (default: the job's own queue when --require defines it, else ${defaults.queue})
  --require FILE    job file defining the job (for its queue); optional
  --in DURATION     run later, e.g. 30s, 5m
${STORE_HELP}

Example: errand enqueue SendWelcomeEmail '[42]' --queue email`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = usage(() => parseArgs({ args: argv, options: { ...storeFlags, queue: { type: 'string' }, require: { type: 'string', multiple: true }, in: { type: 'string' } }, allowPositionals: true, strict: true }));
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const [name, argsText = '[]', ...rest] = positionals;
  if (!name || rest.length > 0) throw new UsageError('enqueue takes a job name and one JSON array of args');
  validateJobName(name);
  let args: unknown;
  try {
    args = JSON.parse(argsText);
  } catch (error) {
    throw new ConfigError(`args ${JSON.stringify(argsText)} are not JSON (${(error as Error).message}): pass an array such as '[42, "x"]'`);
  }
  if (!Array.isArray(args)) throw new ConfigError(`args must be a JSON array, e.g. '[${argsText}]'`);
  const known = values.require ? (await loadJobFiles(values.require)).map(specOf).find((spec) => spec.name === name) : undefined;
  const queue = values.queue ?? known?.queue ?? defaults.queue;
  validateQueueName(queue);
  const runAt = values.in === undefined ? undefined : Date.now() + usage(() => toMs(values.in!, '--in'));
  const errand = errandFrom(values);
  try {
    const job = await errand.enqueueSpec(known ?? foreignJob(name, queue), args, runAt);
    process.stdout.write(`enqueued ${name} ${job?.id} on ${queue}${values.in ? ` in ${values.in}` : ''}\n`);
    return 0;
  } finally {
    await errand.close();
  }
}
