// `errand queues`: the queues with their size and whether they are paused; `pause NAME` /
// `resume NAME` pause one queue for every errand worker (kept in the store) and let them take it
// again. Ruby Resque workers do not know this pause.

import { errandFrom, listOrAction, UsageError, STORE_HELP } from './shared.ts';

export const help = `Usage: errand queues [list | pause NAME | resume NAME] [--json]

  list          every queue: waiting jobs, paused or not
  pause NAME    errand workers skip NAME (its jobs stay in place, in order; kept in the store)
  resume NAME   errand workers take NAME's jobs again (idle ones are woken)
  --json        print the list as JSON
Ruby Resque workers do not know a per-queue pause: they keep taking a paused queue's jobs.
${STORE_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const parsed = listOrAction(argv, help, 'queues', 'queue');
  if (!parsed) return 0;
  const { values, action, name } = parsed;
  const errand = errandFrom(values);
  try {
    const admin = await errand.admin();
    switch (action) {
      case 'list': {
        const stats = await admin.stats();
        // A paused queue that holds no job yet is listed too: the pause waits for it.
        const paused = await admin.pausedQueues();
        const rows = [...stats.queues.map((q) => ({ name: q.name, size: q.size, paused: q.paused }))];
        for (const queue of paused) if (!rows.some((r) => r.name === queue)) rows.push({ name: queue, size: 0, paused: true });
        rows.sort((a, b) => a.name.localeCompare(b.name));
        const text = rows.length === 0 ? '(no queues)' : rows.map((r) => `${r.name}  ${r.size} waiting${r.paused ? '  PAUSED' : ''}`).join('\n');
        process.stdout.write(`${values.json ? JSON.stringify(rows, null, 2) : text}\n`);
        return 0;
      }
      case 'pause':
      case 'resume':
        await admin.setQueuePaused(name!, action === 'pause');
        process.stdout.write(`${name} ${action === 'pause' ? 'paused: errand workers skip it' : 'resumed'}\n`);
        return 0;
      default:
        throw new UsageError(`unknown queues action "${action}": list, pause or resume`);
    }
  } finally {
    await errand.close();
  }
}
