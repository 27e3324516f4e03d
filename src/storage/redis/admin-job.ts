// AdminStore.job(id) on Redis: find-job.lua called slice after slice (an O(n) scan of every place
// a job can be, a few ms of Redis time per call so the workers are never held up, read in the
// direction jobs move; see the script's header) until it answers; the answer turned into a
// JobState. Lifecycle: called per look-up by RedisAdmin; holds nothing.

import type { JobSearch, JobState } from '../types.ts';
import { parseObject } from '../resque-format.ts';
import type { RedisKeys } from './keys.ts';
import type { ScriptCall } from './scripts.ts';

/** Entries read per LRANGE / ZRANGE / HSCAN inside the script: bounds the script's memory. */
const PAGE = 1_000;
/** Entries one call reads at most (plus a page): bounds how long one call holds Redis (~5–10 ms). */
const BUDGET = 10_000;

export async function findJob(keys: RedisKeys, findScript: ScriptCall, id: string): Promise<JobState> {
  let step = await findJobStep(keys, findScript, id, undefined, BUDGET);
  while (!step.done) step = await findJobStep(keys, findScript, id, step.resume, BUDGET);
  return step.job;
}

const PHASES = new Set(['waiting', 'in-flight', 'scheduled', 'failed']);

/** The script's start point from a resume token: JSON [phase, name, offset]; anything else is the start. */
function startOf(resume: string | undefined): (string | number)[] {
  try {
    const [phase, name, offset] = JSON.parse(resume ?? '') as unknown[];
    if (typeof phase === 'string' && PHASES.has(phase) && typeof name === 'string' && typeof offset === 'string' && /^\d{1,20}$/.test(offset)) return [phase, name, offset];
  } catch {
    // not a token of ours: start over
  }
  return ['waiting', '', '0'];
}

export async function findJobStep(keys: RedisKeys, findScript: ScriptCall, id: string, resume: string | undefined, budget: number): Promise<JobSearch> {
  const k = keys;
  const reply = (await findScript([k.queues, k.schedule, k.leases, k.workers, k.failed], [`${k.namespace}:`, id, PAGE, Math.max(PAGE, Math.floor(budget)), ...startOf(resume)])) as (string | number)[];
  if (reply[0] === 'more') return { done: false, resume: JSON.stringify(reply.slice(1, 4).map(String)), scanned: Number(reply[4]) };
  return { done: true, job: stateOf(id, reply) };
}

function stateOf(id: string, reply: (string | number)[]): JobState {
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
