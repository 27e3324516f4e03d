// Test support: an errand instance on a fresh Redis namespace, closed and cleaned up after the
// test body, with a logger that keeps the test output quiet.

import { createErrand, type Errand } from '../../src/index.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace } from './redis.ts';

export const quiet = { info() {}, warn() {}, error() {}, debug() {} };

export async function withErrand(
  fn: (errand: Errand, namespace: string) => Promise<void>, options: Parameters<typeof createErrand>[0] = {}, prefix?: string,
): Promise<void> {
  const namespace = uniqueNamespace(prefix);
  const errand = createErrand({ url: REDIS_URL, namespace, logger: quiet, ...options });
  try {
    await fn(errand, namespace);
  } finally {
    await errand.close();
    await deleteNamespace(namespace);
  }
}
