// The `errand` command: dispatches to one file per subcommand.

import { reportError, UsageError } from './shared.ts';

const COMMANDS: Record<string, () => Promise<{ run(argv: string[]): Promise<number>; help: string }>> = {
  work: () => import('./work.ts'),
  enqueue: () => import('./enqueue.ts'),
  stats: () => import('./stats.ts'),
  failed: () => import('./failed.ts'),
  schedules: () => import('./schedules.ts'),
  queues: () => import('./queues.ts'),
  web: () => import('./web.ts'),
};

const HELP = `Usage: errand <command> [options]

Commands:
  work      run a worker process (errand work --require ./jobs.ts --queues a,b --concurrency 20)
  enqueue   put a job on a queue (errand enqueue SendWelcomeEmail '[42]' --queue email)
  stats     queue sizes, oldest job age, failures, workers
  failed    list, retry, remove or clear failures
  schedules list recurring schedules (next and last run), run one now, pause or resume one
  queues    list queues (size, paused), pause or resume one queue for errand's workers
  web       the dashboard (errand web --port 5678; --auth user:password beyond loopback)

Run errand <command> --help for its options.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    (command ? process.stdout : process.stderr).write(`${HELP}\n`);
    return command ? 0 : 2;
  }
  const load = COMMANDS[command];
  try {
    if (!load) throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return await (await load()).run(rest);
  } catch (error) {
    return reportError(error);
  }
}
