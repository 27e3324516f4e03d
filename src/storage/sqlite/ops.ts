// The state changes of the SQLite store, one function per Redis script (../redis/scripts/*.lua),
// with the same rules. Each runs inside one transaction opened by the caller (store.ts), so
// each is atomic across processes. Lifecycle: pure functions over a Statements bundle.
// Invariants: a job is always in exactly one place (a queue, a worker's in-flight set,
// scheduled, or failed); outcomes and put-backs apply only to jobs the named worker holds.

import { createHash } from 'node:crypto';
import { PoisonJobError } from '../../errors.ts';
import type { Outcome, QueuedJob, ReservedJob } from '../types.ts';
import { countByQueue, minuteOf } from '../throughput.ts';
import { GRAINS, slotOf, tallyByClass } from '../job-metrics.ts';
import type { JobRow, Statements } from './statements.ts';

/** Poison-job death counts expire a week after the last death, like the Redis store's TTL. */
const DEATH_COUNT_TTL_MS = 7 * 86_400_000;

/** Appends payloads, oldest first, to the tail of one queue (Redis RPUSH + SADD queues). */
export function append(st: Statements, queue: string, payloads: readonly string[]): void {
  st.queueEnsure.run(queue);
  let tail = st.queueEnds.get(queue)!.tail;
  for (const payload of payloads) st.jobInsert.run(queue, ++tail, payload);
  st.queueSetTail.run(tail, payloads.length, queue);
}

/** Puts existing job rows back at the head of their queues; `rows` end up in this order there. */
export function putBack(st: Statements, rows: readonly Pick<JobRow, 'id' | 'queue'>[]): void {
  const heads = new Map<string, { head: number; count: number }>();
  for (let i = rows.length - 1; i >= 0; i--) {
    const { id, queue } = rows[i]!;
    let at = heads.get(queue);
    if (at === undefined) {
      st.queueEnsure.run(queue);
      heads.set(queue, (at = { head: st.queueEnds.get(queue)!.head, count: 0 }));
    }
    at.head--;
    at.count++;
    st.jobRequeue.run(at.head, id);
  }
  for (const [queue, { head, count }] of heads) st.queueSetHead.run(head, count, queue);
}

export function push(st: Statements, jobs: readonly QueuedJob[]): void {
  const byQueue = new Map<string, string[]>();
  for (const job of jobs) {
    let list = byQueue.get(job.queue);
    if (!list) byQueue.set(job.queue, (list = []));
    list.push(job.payload);
  }
  for (const [queue, payloads] of byQueue) append(st, queue, payloads);
}

export function isPaused(st: Statements): boolean {
  return st.paused.get() === 'true';
}

/**
 * Moves up to `max` ready jobs, in strict queue order, into the worker's in-flight set. A
 * worker the store does not know (reaped, not yet re-registered) gets nothing: no recovery
 * would ever find jobs held under an unregistered id. The first `startNow` start at once: the
 * worker's started watermark moves to the last of them (see reap()). A paused queue is skipped.
 */
export function reserve(st: Statements, workerId: string, names: readonly string[], max: number, startNow = 0): ReservedJob[] {
  const out: ReservedJob[] = [];
  if (max <= 0 || isPaused(st) || st.workerKnown.get(workerId) === undefined) return out;
  const first = st.claimSeq.get() ?? 0;
  let seq = first;
  const paused = new Set(st.pausedQueues.all());
  for (const queue of names) {
    const want = max - out.length;
    if (want <= 0) break;
    if (paused.has(queue)) continue;
    // RETURNING gives rows in no promised order: the claim numbers carry the queue order.
    const rows = st.jobsClaim.all(workerId, seq, queue, want).sort((a, b) => a.claim - b.claim);
    if (rows.length > 0) st.queueWaitingAdd.run(-rows.length, queue);
    if (rows.length < want) st.queueWaitingDrained.run(queue);
    for (const row of rows) out.push({ token: String(row.claim), queue, payload: row.payload });
    seq += rows.length;
  }
  if (seq !== first) st.claimSeqSet.run(seq);
  const started = Math.min(startNow, out.length);
  if (started > 0) st.workerStarted.run(Number(out[started - 1]!.token), workerId);
  return out;
}

/** A token is the claim number reserve() stamped; anything else names no job. */
function claimOf(token: string): number | undefined {
  const claim = Number(token);
  return Number.isSafeInteger(claim) && claim > 0 ? claim : undefined;
}

/**
 * Applies outcomes of jobs still held by the worker; returns how many applied and whether a retry
 * was scheduled. A retry is due its delay (runAt - the client's now) after `now`, the store's clock.
 */
export function settle(st: Statements, workerId: string, outcomes: readonly Outcome[], now: number, startedUpTo = 0): { applied: number; retried: boolean } {
  const clientNow = Date.now();
  const done: number[] = [];
  let applied = 0;
  let failures = 0;
  let retried = false;
  for (const outcome of outcomes) {
    const claim = claimOf(outcome.token);
    if (claim === undefined) continue;
    if (outcome.kind === 'done') {
      done.push(claim);
    } else if (st.jobSettle.run(workerId, claim).changes === 1) {
      applied++;
      failures++;
      if (outcome.kind === 'failed') {
        st.failedPush.run(outcome.entry);
      } else {
        st.retryInsert.run(dueOnStoreClock(outcome.job.runAt, clientNow, now), outcome.job.queue, outcome.job.payload, outcome.deferred ? 0 : 1);
        retried = true;
      }
    }
  }
  if (done.length > 0) applied += st.jobsSettleMany.run(workerId, JSON.stringify(done)).changes;
  const minute = minuteOf(now);
  for (const [queue, count] of countByQueue(outcomes)) st.throughputAdd.run(queue, minute, count);
  addJobMetrics(st, outcomes, now);
  if (startedUpTo > 0) st.workerStarted.run(startedUpTo, workerId);
  if (applied > 0) {
    st.counterAdd.run('processed', applied);
    st.counterAdd.run(`processed:${workerId}`, applied);
  }
  if (failures > 0) {
    st.counterAdd.run('failed', failures);
    st.counterAdd.run(`failed:${workerId}`, failures);
  }
  return { applied, retried };
}

/** A client's runAt (by its clock, read as `clientNow`) as a due time on the store's clock `now`. */
export function dueOnStoreClock(runAt: number, clientNow: number, now: number): number {
  return now + Math.max(0, Math.floor(runAt - clientNow));
}

/** Puts the named in-flight jobs back at the head of their queues, in reservation order. */
export function release(st: Statements, workerId: string, tokens: readonly string[]): number {
  const held: { claim: number; row: JobRow }[] = [];
  for (const claim of new Set(tokens.map(claimOf))) {
    const row = claim === undefined ? undefined : st.jobHeld.get(workerId, claim);
    if (row) held.push({ claim: claim!, row });
  }
  putBack(st, held.sort((a, b) => a.claim - b.claim).map((h) => h.row));
  return held.length;
}

export interface ReapResult { requeued: number; poisoned: number }

/**
 * Retires workers: their in-flight jobs go back to the head of their queues, in reservation
 * order. With `maxDeaths` (a worker declared dead), each job it had started (claim up to its
 * started watermark; the rest were only prefetched and are never blamed) counts a death, keyed
 * by its payload's SHA-1 so the count follows it; at `maxDeaths` it goes to failed as a poison job.
 */
export function reap(st: Statements, ids: readonly string[], maxDeaths: number | undefined, failedAt: string, now: number): ReapResult {
  let requeued = 0;
  let poisoned = 0;
  const expiresAt = now + DEATH_COUNT_TTL_MS;
  for (const id of ids) {
    const back: JobRow[] = [];
    const startedUpTo = st.workerStartedUpTo.get(id) ?? 0;
    for (const row of st.jobsOfWorker.all(id)) {
      if (maxDeaths === undefined || row.claim > startedUpTo) {
        back.push(row);
        continue;
      }
      const hash = createHash('sha1').update(row.payload).digest('hex');
      const deaths = st.deathCount.get(hash, expiresAt)!;
      if (deaths < maxDeaths) {
        back.push(row);
        continue;
      }
      st.failedPush.run(poisonEntry(row, id, deaths, failedAt));
      st.counterAdd.run('failed', 1);
      st.deathDelete.run(hash);
      st.jobDelete.run(row.id);
      poisoned++;
    }
    putBack(st, back);
    requeued += back.length;
    st.workerDelete.run(id);
    st.counterDelete.run(`processed:${id}`);
    st.counterDelete.run(`failed:${id}`);
  }
  if (maxDeaths !== undefined) st.deathsExpire.run(now);
  return { requeued, poisoned };
}

/** The Resque failure entry reap.lua writes for a poison job; a non-JSON payload is kept as a string. */
function poisonEntry(row: JobRow, workerId: string, deaths: number, failedAt: string): string {
  let payload = row.payload;
  try {
    JSON.parse(payload);
  } catch {
    payload = JSON.stringify(payload);
  }
  return `{"failed_at":${JSON.stringify(failedAt)},"payload":${payload},"exception":"PoisonJobError",` +
    `"error":${JSON.stringify(new PoisonJobError(deaths).message)},"backtrace":[],` +
    `"worker":${JSON.stringify(workerId)},"queue":${JSON.stringify(row.queue)}}`;
}

/** Counts the attempts in their classes' metrics, both grains (see ../job-metrics.ts). */
function addJobMetrics(st: Statements, outcomes: readonly Outcome[], now: number): void {
  const cells = tallyByClass(outcomes);
  if (cells.size === 0) return;
  const slots = { m: slotOf('m', now), t: slotOf('t', now) };
  for (const [cell, count] of cells) {
    const colon = cell.indexOf(':');
    for (const grain of ['m', 't'] as const) st.metricsAdd.run(grain, slots[grain], cell.slice(colon + 1), cell.slice(0, colon), count);
  }
}

/** Moves due scheduled jobs (by the store's clock `now`) to the tail of their queues; returns the count and when the next falls due. */
export function promote(st: Statements, now: number, limit: number): { promoted: number; nextDueInMs: number | undefined } {
  st.throughputExpire.run(minuteOf(now) - 10);
  for (const grain of ['m', 't'] as const) st.metricsExpire.run(grain, slotOf(grain, now - GRAINS[grain].keepMs));
  const due = st.scheduledDue.all(now, limit);
  const byQueue = new Map<string, string[]>();
  for (const row of due) {
    let list = byQueue.get(row.queue);
    if (!list) byQueue.set(row.queue, (list = []));
    list.push(row.payload);
    st.scheduledDelete.run(row.id);
  }
  for (const [queue, payloads] of byQueue) append(st, queue, payloads);
  const next = st.scheduledNext.get();
  return { promoted: due.length, nextDueInMs: next == null ? undefined : Math.max(0, next - now) };
}
