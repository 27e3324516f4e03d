// `errand failed list|retry|remove|clear`: the failed list from the shell. One failure is named
// `N:digest` as list prints it (position and a digest of the entry, see admin/ref.ts): a bare
// position is refused, since the list moves between listing and acting.

import { ConfigError } from '../errors.ts';
import { removeFailedAt, retryAllFailed, retryFailedAt } from '../admin/failures.ts';
import { entryReference, parseReference } from '../admin/ref.ts';
import { parseArgs } from 'node:util';
import { errandFrom, usage, STORE_HELP, storeFlags, UsageError } from './shared.ts';

export const help = `Usage: errand failed <list|retry|remove|clear> [args]

  list [--offset N] [--limit N] [--json]   show failures, oldest first (N:digest, time, job, queue, error)
  retry <N:digest|all>                      put the job back on its queue as a fresh first attempt
  remove <N:digest>                         delete one failure
  (N:digest is the reference list prints: if the entry at N is no longer that one, nothing changes)
  clear                                     delete every failure
${STORE_HELP}`;

function referenceArg(text: string | undefined): { index: number; ref: string } {
  const reference = text === undefined ? undefined : parseReference(text);
  if (!reference) throw new UsageError(`expected a failure reference N:digest as 'errand failed list' prints it (a position alone is refused: the list moves), got ${text ?? 'nothing'}`);
  return reference;
}

function indexArg(text: string | undefined): number {
  const index = Number(text);
  if (text === undefined || !Number.isInteger(index) || index < 0) throw new UsageError(`expected a failure index (see 'errand failed list'), got ${text ?? 'nothing'}`);
  return index;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = usage(() => parseArgs({ args: argv, options: { ...storeFlags, offset: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true }));
  const [action, target, ...rest] = positionals;
  if (values.help || !action) {
    process.stdout.write(`${help}\n`);
    return values.help ? 0 : 2;
  }
  if (!['list', 'retry', 'remove', 'clear'].includes(action)) throw new UsageError(`unknown failed action "${action}": use list, retry, remove or clear`);
  if (rest.length > 0) throw new UsageError(`too many arguments: ${rest.join(' ')}`);
  const errand = errandFrom(values);
  try {
    const admin = await errand.admin();
    switch (action) {
      case 'list': {
        const offset = values.offset === undefined ? 0 : indexArg(values.offset);
        const limit = values.limit === undefined ? 50 : indexArg(values.limit);
        const entries = await admin.failed(offset, limit);
        if (values.json) {
          process.stdout.write(`${JSON.stringify(entries.map((e) => ({ index: e.index, ref: entryReference(e.index, e.raw), ...(e.entry ?? { raw: e.raw }) })), null, 2)}\n`);
          return 0;
        }
        const total = await admin.failedCount();
        for (const { index, entry, raw } of entries) {
          const job = (entry?.payload as { class?: string } | undefined)?.class ?? '(not a job)';
          process.stdout.write(`${entryReference(index, raw)}  ${entry?.failed_at ?? '?'}  ${job}  on ${entry?.queue ?? '?'}  ${entry?.exception ?? ''}: ${entry?.error ?? ''}\n`);
        }
        process.stdout.write(`${entries.length} of ${total} failures shown\n`);
        return 0;
      }
      case 'retry': {
        if (target === 'all') {
          const { retried, skipped } = await retryAllFailed(admin);
          process.stdout.write(`retried ${retried}${skipped ? `, ${skipped} could not be retried (not a job)` : ''}\n`);
          return 0;
        }
        const { index, ref } = referenceArg(target);
        if (!(await retryFailedAt(admin, index, ref))) throw new ConfigError(`failure ${target} went while retrying it; list again`);
        process.stdout.write(`retried ${target}\n`);
        return 0;
      }
      case 'remove': {
        const { index, ref } = referenceArg(target);
        if (!(await removeFailedAt(admin, index, ref))) throw new ConfigError(`failure ${target} went while removing it; list again`);
        process.stdout.write(`removed ${target}\n`);
        return 0;
      }
      default: {
        if (target !== undefined) throw new UsageError('clear takes no argument');
        process.stdout.write(`cleared ${await admin.clearFailed()} failures\n`);
        return 0;
      }
    }
  } finally {
    await errand.close();
  }
}
