// Operator actions on the failed list, shared by the CLI and the dashboard: retry puts
// the failed job back as a fresh first attempt on its queue; entries whose payload was never a
// job (not JSON) cannot be retried and say so.

import { ConfigError } from '../errors.ts';
import { encodeRequeue } from '../job/payload.ts';
import type { AdminStore, FailedEntry, FailedFilter } from '../storage/types.ts';

export function retryableJob(entry: FailedEntry): { queue: string; payload: string } {
  const payload = entry.entry?.payload;
  const queue = entry.entry?.queue ?? (payload as { queue?: unknown } | undefined)?.queue;
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ConfigError(`failure #${entry.index} holds no job to retry (its payload was not a JSON job); remove it instead`);
  }
  if (typeof queue !== 'string' || !queue) throw new ConfigError(`failure #${entry.index} names no queue to retry on`);
  return { queue, payload: encodeRequeue(payload as Record<string, unknown>) };
}

/** Retries the entry at `index`; false if it moved or vanished meanwhile. */
export async function retryFailedAt(admin: AdminStore, index: number): Promise<boolean> {
  const [entry] = await admin.failed(index, 1);
  if (!entry) throw new ConfigError(`no failure #${index}: the failed list has ${await admin.failedCount()} entries`);
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

export async function removeFailedAt(admin: AdminStore, index: number): Promise<boolean> {
  const [entry] = await admin.failed(index, 1);
  if (!entry) throw new ConfigError(`no failure #${index}: the failed list has ${await admin.failedCount()} entries`);
  return admin.removeFailed(entry.raw);
}
