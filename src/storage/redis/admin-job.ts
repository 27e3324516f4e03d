// AdminStore.job(id) on Redis: one find-job.lua call (an O(n) scan of every place a job can be,
// atomic, so the job cannot slip between two places while it is looked for) turned into a
// JobState. Lifecycle: called per look-up by RedisAdmin; holds nothing.

import type { JobState } from '../types.ts';
import { parseObject } from '../resque-format.ts';
import type { RedisKeys } from './keys.ts';
import type { ScriptCall } from './scripts.ts';

/** Entries read per LRANGE / ZRANGE / HSCAN inside the script: bounds the script's memory, not its time. */
const PAGE = 1_000;

export async function findJob(keys: RedisKeys, findScript: ScriptCall, id: string): Promise<JobState> {
  const k = keys;
  const reply = (await findScript([k.queues, k.schedule, k.leases, k.workers, k.failed], [`${k.namespace}:`, id, PAGE])) as (string | number)[];
  const text = (i: number) => String(reply[i] ?? '');
  switch (reply[0]) {
    case 'in-flight': {
      // A Ruby worker's job is known only from its worker:<id> JSON: the payload is re-encoded from it.
      const payload = text(2) ? text(5) : JSON.stringify(parseObject(text(5))?.payload);
      return { state: 'in-flight', id, queue: text(1), instance: text(2) || undefined, worker: text(3), since: text(4) || undefined, payload };
    }
    case 'waiting':
      return { state: 'waiting', id, queue: text(1), position: Number(reply[2]), payload: text(3) };
    case 'scheduled':
      return { state: 'scheduled', id, queue: text(1), runAt: Number(reply[2]), key: text(3), payload: text(4) };
    case 'failed': {
      const raw = text(2);
      const entry = parseObject(raw);
      const field = (name: string) => (typeof entry?.[name] === 'string' ? (entry[name] as string) : undefined);
      return { state: 'failed', id, queue: field('queue'), exception: field('exception'), error: field('error'), failure: { index: Number(reply[1]), raw, entry } };
    }
    default:
      return { state: 'unknown', id };
  }
}
