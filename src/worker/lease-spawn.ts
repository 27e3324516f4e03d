// Starting lease threads (lease-thread.ts). A thread loads its modules before it can beat: a few
// tens of ms from the built package, most of a second in a checkout, where tsx compiles them in
// the thread. prepareLeaseThread() starts one ahead of need (errand.worker() calls it, so the
// loading overlaps opening the store and registering rather than the first jobs); a worker's
// start takes the prepared thread, or starts one then. Invariants: a thread does nothing until it
// gets its 'init' message; at most one prepared thread waits per process, unref'd, so a worker
// that is never started keeps no process alive.

import { Worker as Thread } from 'node:worker_threads';

let prepared: Thread | undefined;

/**
 * The entry of the lease thread: TypeScript in a checkout (run through tsx), JavaScript when built.
 * Module hooks (tsx) registered in the main thread do not reach a worker thread, so a checkout
 * registers tsx's require hook there: it compiles in the thread itself, where the ESM hooks would
 * start one more loader thread.
 */
function spawn(): Thread {
  const entry = new URL(`./lease-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
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

/** Starts a lease thread for the next worker of this process, unless one is waiting already. */
export function prepareLeaseThread(): void {
  if (prepared) return;
  try {
    const thread = spawn();
    const forget = () => {
      if (prepared === thread) prepared = undefined;
    };
    thread.once('error', forget);
    thread.once('exit', forget);
    prepared = thread;
  } catch {
    // No thread now: the worker's start tries again, and falls back to local heartbeats.
  }
}

/** A prepared lease thread, or a new one. Throws when no thread can be started. */
export function takeLeaseThread(): Thread {
  const thread = prepared ?? spawn();
  prepared = undefined;
  thread.removeAllListeners('error');
  thread.removeAllListeners('exit');
  return thread;
}
