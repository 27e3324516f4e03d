// What every CLI command shares: flag parsing with a one-line reason on bad flags, the store
// flags (--url, --namespace), and turning known errors into a one-line message and an exit code.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ErrandError } from '../errors.ts';
import { createErrand, type Errand } from '../client/errand.ts';

export class UsageError extends Error {}

export const storeFlags = {
  url: { type: 'string' },
  namespace: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Runs a flag parser, turning its complaint into a one-line UsageError. */
export function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
}

export function errandFrom(values: { url?: string; namespace?: string }, extra: Parameters<typeof createErrand>[0] = {}): Errand {
  return createErrand({ url: values.url, namespace: values.namespace, ...extra });
}

/** Prints a one-line reason for errors errand expects and returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`errand: ${error.message} (see --help)\n`);
    return 2;
  }
  if (error instanceof ErrandError) {
    process.stderr.write(`errand: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`errand: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}

export const STORE_HELP = `  --url URL          store: redis://host:port, rediss://…, sqlite:path (default: ERRAND_URL, REDIS_URL, sqlite:./var/errand.db)
  --namespace NAME   Redis key prefix (default: resque)`;

/**
 * The flags and words of a `<command> [list | ACTION NAME] [--json]` command (schedules, queues):
 * undefined after printing `help` for --help; a UsageError for extra words or an ACTION without
 * its NAME (`noun` says what NAME names).
 */
export function listOrAction(argv: string[], help: string, command: string, noun: string) {
  const { values, positionals } = usage(() => parseArgs({ args: argv, options: { ...storeFlags, json: { type: 'boolean' } }, allowPositionals: true, strict: true }));
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return undefined;
  }
  const [action = 'list', name, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  if (action !== 'list' && !name) throw new UsageError(`${command} ${action} needs a ${noun} NAME`);
  return { values, action, name };
}
