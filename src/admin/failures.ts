// Operator actions on the failed list, shared by the CLI and the dashboard: retry puts
// the failed job back as a fresh first attempt on its queue; entries whose payload was never a
// job (not JSON) cannot be retried and say so. One entry is named by position AND digest
// (ref.ts): when the entry now at that position is another one, nothing is changed.

import { ConfigError } from '../errors.ts';
import { encodeRequeue } from '../job/payload.ts';
import type { AdminStore, FailedEntry, FailedFilter } from '../storage/types.ts';
import { refOf } from './ref.ts';

export function retryableJob(entry: FailedEntry): { queue: string; payload: string } {
  const payload = entry.entry?.payload;
  const queue = entry.entry?.queue ?? (payload as { queue?: unknown } | undefined)?.queue;
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ConfigError(`failure #${entry.index} holds no job to retry (its payload was not a JSON job); remove it instead`);
  }
  if (typeof queue !== 'string' || !queue) throw new ConfigError(`failure #${entry.index} names no queue to retry on`);
  return { queue, payload: encodeRequeue(payload as Record<string, unknown>) };
}

/** The entry at `index` if its digest is `ref`; a ConfigError naming what is there otherwise. */
async function failedAt(admin: AdminStore, index: number, ref: string): Promise<FailedEntry> {
  const [entry] = await admin.failed(index, 1);
  if (!entry) throw new ConfigError(`no failure #${index}: the failed list has ${await admin.failedCount()} entries; nothing changed, list again`);
  if (refOf(entry.raw) !== ref) throw new ConfigError(`failure #${index} is no longer ${index}:${ref} (the list moved); nothing changed, list again`);
  return entry;
}

/** Retries the entry at `index` whose digest is `ref`; false if it went meanwhile. */
export async function retryFailedAt(admin: AdminStore, index: number, ref: string): Promise<boolean> {
  const entry = await failedAt(admin, index, ref);
  return admin.retryFailed(entry.raw, retryableJob(entry));
}

/**
 * Retries every retryable entry matching `filter` (default: all), in one pass in the store (see
 * AdminStore.retryFailedMatching); entries with no job to retry stay, at the list's tail.
 */
export async function retryAllFailed(admin: AdminStore, filter: FailedFilter = {}): Promise<{ retried: number; skipped: number }> {
  return admin.retryFailedMatching(filter, (entry) => {
    try {
      return retryableJob(entry);
    } catch {
      return undefined;
    }
  });
}

/** Removes the entry at `index` whose digest is `ref`; false if it went meanwhile. */
export async function removeFailedAt(admin: AdminStore, index: number, ref: string): Promise<boolean> {
  return admin.removeFailed((await failedAt(admin, index, ref)).raw);
}
