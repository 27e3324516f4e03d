// Operator actions on the failed list, shared by the CLI and (later) the dashboard: retry puts
// the failed job back as a fresh first attempt on its queue; entries whose payload was never a
// job (not JSON) cannot be retried and say so.

import { ConfigError } from '../errors.ts';
import { encodeRequeue } from '../job/payload.ts';
import type { AdminStore, FailedEntry } from '../storage/types.ts';

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

/** Retries every retryable entry; returns how many went back and how many could not. */
export async function retryAllFailed(admin: AdminStore): Promise<{ retried: number; skipped: number }> {
  let retried = 0;
  let skipped = 0;
  const entries = await admin.failed(0, await admin.failedCount());
  for (const entry of entries) {
    let job;
    try {
      job = retryableJob(entry);
    } catch {
      skipped++;
      continue;
    }
    if (await admin.retryFailed(entry.raw, job)) retried++;
  }
  return { retried, skipped };
}

export async function removeFailedAt(admin: AdminStore, index: number): Promise<boolean> {
  const [entry] = await admin.failed(index, 1);
  if (!entry) throw new ConfigError(`no failure #${index}: the failed list has ${await admin.failedCount()} entries`);
  return admin.removeFailed(entry.raw);
}
