// Starting lease threads (lease-thread.ts). A thread loads its modules before it can beat: a few
// tens of ms from the built package, most of a second in a checkout, where tsx compiles them in
// the thread. prepareLeaseThread() starts one ahead of need (errand.worker() calls it, so the
// loading overlaps opening the store and registering rather than the first jobs); a worker's
// start takes the prepared thread, or starts one then. A thread's entry file is its store's
// (lease-thread-redis.ts or lease-thread-sqlite.ts), so it loads that store's modules only.
// Invariants: a thread does nothing until it gets its 'init' message; at most one prepared
// thread per store kind waits per process, unref'd, so a worker that is never started keeps no
// process alive.

import { Worker as Thread } from 'node:worker_threads';
import { storeKindOf } from '../storage/open.ts';

type StoreKind = NonNullable<ReturnType<typeof storeKindOf>>;

const prepared = new Map<StoreKind, Thread>();

/**
 * The entry of a lease thread for a store kind: TypeScript in a checkout (run through tsx),
 * JavaScript when built. Module hooks (tsx) registered in the main thread do not reach a worker
 * thread, so a checkout registers tsx's require hook there: it compiles in the thread itself,
 * where the ESM hooks would start one more loader thread.
 */
function spawn(kind: StoreKind): Thread {
  const entry = new URL(`./lease-thread-${kind}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
  const tsx = entry.endsWith('.ts') ? import.meta.resolve('tsx/cjs/api') : undefined;
  const code = `const { workerData, parentPort } = require('node:worker_threads');
const { fileURLToPath } = require('node:url');
try {
  if (workerData.tsx) require(fileURLToPath(workerData.tsx)).register();
  require(fileURLToPath(workerData.entry));
} catch (error) {
  parentPort.postMessage({ type: 'fatal', message: String(error && error.stack || error) });
}`;
  const thread = new Thread(code, { eval: true, workerData: { entry, tsx } });
  thread.unref();
  return thread;
}

/** Starts a lease thread for the next worker on the store at `url`, unless one is waiting already. */
export function prepareLeaseThread(url: string): void {
  const kind = storeKindOf(url);
  if (!kind || prepared.has(kind)) return;
  try {
    const thread = spawn(kind);
    const forget = () => {
      if (prepared.get(kind) === thread) prepared.delete(kind);
    };
    thread.once('error', forget);
    thread.once('exit', forget);
    prepared.set(kind, thread);
  } catch {
    // No thread now: the worker's start tries again, and falls back to local heartbeats.
  }
}

/** A prepared lease thread for the store at `url`, or a new one. Throws when none can be started. */
export function takeLeaseThread(url: string): Thread {
  const kind = storeKindOf(url);
  if (!kind) throw new Error(`no lease thread for a store at ${url}`);
  const thread = prepared.get(kind) ?? spawn(kind);
  prepared.delete(kind);
  thread.removeAllListeners('error');
  thread.removeAllListeners('exit');
  return thread;
}
