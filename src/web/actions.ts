// Every mutation the dashboard offers: one function per POST route, each naming its entry by
// position AND digest (refOf), so an entry that moved is refused instead of hitting its
// neighbour; then the change through AdminStore (src/admin for the failed list's rules). The
// result is a notice code, shown after the 303 redirect: no request text is ever reflected.

import type { AdminStore, FailedFilter } from '../storage/types.ts';
import { retryableJob, retryAllFailed as retryAll } from '../admin/failures.ts';
import { refOf } from './format.ts';

export const NOTICES: Record<string, (n: number) => string> = {
  paused: () => 'All workers paused: they stop taking jobs until resumed.',
  resumed: () => 'Workers resumed.',
  'queue-paused': () => 'Queue paused: errand workers skip it until resumed (Ruby Resque workers do not know this pause).',
  'queue-resumed': () => 'Queue resumed.',
  removed: () => 'Removed.',
  retried: () => 'Queued again as a fresh first attempt.',
  ran: () => 'Queued to run now.',
  cleared: (n) => `Deleted ${n} waiting ${n === 1 ? 'job' : 'jobs'}.`,
  'removed-all': (n) => `Removed ${n} ${n === 1 ? 'failure' : 'failures'}.`,
  'retried-all': (n) => `Queued ${n} ${n === 1 ? 'job' : 'jobs'} again.`,
  'skipped-some': (n) => `Some failures hold no job to retry and stayed (${n}).`,
  moved: () => 'That entry moved or is gone (the list changed): nothing was done. Look again.',
  unretryable: () => 'That failure holds no job to retry (its payload is not a job); remove it instead.',
  'ran-all': (n) => `Queued ${n} scheduled ${n === 1 ? 'job' : 'jobs'} to run now.`,
  'removed-scheduled': (n) => `Deleted ${n} scheduled ${n === 1 ? 'job' : 'jobs'}.`,
  'schedule-ran': () => 'Enqueued a run now (it counts as the last run).',
  'schedule-paused': () => 'Paused: its ticks are skipped until resumed.',
  'schedule-resumed': () => 'Resumed from its next tick.',
  'no-schedule': () => 'No such schedule (or no definition to run): nothing was done.',
};

export interface Done { readonly notice: keyof typeof NOTICES; readonly n?: number }

export async function setPaused(admin: AdminStore, paused: boolean): Promise<Done> {
  await admin.setPaused(paused);
  return { notice: paused ? 'paused' : 'resumed' };
}

export async function setQueuePaused(admin: AdminStore, queue: string, paused: boolean): Promise<Done> {
  await admin.setQueuePaused(queue, paused);
  return { notice: paused ? 'queue-paused' : 'queue-resumed' };
}

export async function removeQueued(admin: AdminStore, queue: string, index: number, ref: string): Promise<Done> {
  const [payload] = await admin.peek(queue, index, 1);
  if (payload === undefined || refOf(payload) !== ref) return { notice: 'moved' };
  return { notice: (await admin.removeQueued(queue, payload)) ? 'removed' : 'moved' };
}

export async function clearQueue(admin: AdminStore, queue: string): Promise<Done> {
  return { notice: 'cleared', n: await admin.clearQueue(queue) };
}

async function failedAt(admin: AdminStore, index: number, ref: string) {
  const [entry] = await admin.failed(index, 1);
  return entry && refOf(entry.raw) === ref ? entry : undefined;
}

export async function retryFailed(admin: AdminStore, index: number, ref: string): Promise<Done> {
  const entry = await failedAt(admin, index, ref);
  if (!entry) return { notice: 'moved' };
  let job;
  try {
    job = retryableJob(entry);
  } catch {
    return { notice: 'unretryable' };
  }
  return { notice: (await admin.retryFailed(entry.raw, job)) ? 'retried' : 'moved' };
}

export async function removeFailed(admin: AdminStore, index: number, ref: string): Promise<Done> {
  const entry = await failedAt(admin, index, ref);
  if (!entry) return { notice: 'moved' };
  return { notice: (await admin.removeFailed(entry.raw)) ? 'removed' : 'moved' };
}

export async function retryAllFailed(admin: AdminStore, filter: FailedFilter): Promise<Done> {
  const { retried, skipped } = await retryAll(admin, filter);
  return skipped > 0 && retried === 0 ? { notice: 'skipped-some', n: skipped } : { notice: 'retried-all', n: retried };
}

export async function removeAllFailed(admin: AdminStore, filter: FailedFilter): Promise<Done> {
  return { notice: 'removed-all', n: await admin.removeFailedMatching(filter) };
}

async function scheduledAt(admin: AdminStore, index: number, ref: string) {
  const [entry] = await admin.scheduled(index, 1);
  return entry && refOf(entry.key) === ref ? entry : undefined;
}

export async function runScheduled(admin: AdminStore, index: number, ref: string): Promise<Done> {
  const entry = await scheduledAt(admin, index, ref);
  return { notice: entry && (await admin.runScheduled(entry.key)) ? 'ran' : 'moved' };
}

export async function removeScheduled(admin: AdminStore, index: number, ref: string): Promise<Done> {
  const entry = await scheduledAt(admin, index, ref);
  return { notice: entry && (await admin.removeScheduled(entry.key)) ? 'removed' : 'moved' };
}
