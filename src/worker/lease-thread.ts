// The lease thread: a worker_threads thread, with its own store connection, that renews its
// worker's lease. It runs beside the worker's event loop, so a job that keeps that loop busy
// (resizing an image, number crunching) does not make a healthy worker look dead. It still
// catches a truly stuck worker: the main thread stamps a shared "pulse" each time it handles a
// message from here, and once a message has gone unanswered for the stuck timeout the thread
// stops renewing, so the lease runs out and the worker's jobs go back to their queues. Silence is
// counted from the unanswered message, not from the last pulse: an idle worker hears from this
// thread only every idle beat, so the age of its pulse is the beat interval, not a stall.
// Lifecycle: loaded by its store's entry file (lease-thread-redis.ts, lease-thread-sqlite.ts,
// which give it that store's class), started by ThreadBeats (beats.ts) with LeaseThreadData;
// beats every heartbeat interval while the worker holds jobs, every idle interval otherwise; on
// a store with a write-ahead log (SQLite) it also checkpoints every defaults.sqliteCheckpointMs,
// so that work stays off the worker's event loop; 'stop' closes the store and ends the thread.
// Invariant: at most one heartbeat in flight, and every beat (renewed, failed or withheld)
// posts a message, so a main thread that comes back pulses again at once.

import { parentPort } from 'node:worker_threads';
import { storeIncidents } from '../storage/incidents.ts';
import { openStoreWith, type StoreClasses } from '../storage/open.ts';
import type { Store, WorkerStatus } from '../storage/types.ts';
import { defaults } from '../defaults.ts';
import { monotonicMs } from './contact.ts';
import { SHARED, type FromLeaseThread, type LeaseThreadData, type ToLeaseThread } from './lease-protocol.ts';

const FIRST_BEAT_MS = 50;

// Set by the 'init' message; the thread may be started (and its modules loaded) before it is needed.
let data!: LeaseThreadData;
let shared!: Float64Array;
const port = parentPort!;
/** Monotonic ms of the oldest message the main thread has not answered (its pulse answers them). */
let unansweredSince: number | undefined;
const answered = () => unansweredSince === undefined || shared[SHARED.pulse]! >= unansweredSince;
const post = (message: FromLeaseThread) => {
  if (answered()) unansweredSince = monotonicMs();
  port.postMessage(message);
};

let instance = '';
let workingOn: WorkerStatus['workingOn'] = null;
let timer: NodeJS.Timeout | undefined;
let beating = false;
let stopping = false;
let lastBeatAt = 0;
let nextBeatAt = 0;
let store: Store | undefined;
/** The one store class this thread needs, given by its entry file (lease-thread-redis/-sqlite.ts). */
let storeClasses: StoreClasses = {};
let checkpoints: NodeJS.Timeout | undefined;

function arm(delayMs: number): void {
  if (stopping) return;
  clearTimeout(timer);
  nextBeatAt = monotonicMs() + delayMs;
  timer = setTimeout(beat, delayMs);
}

async function beat(): Promise<void> {
  if (stopping || !store) return;
  beating = true;
  lastBeatAt = monotonicMs();
  // Every message answered: not silent, whatever the pulse's age.
  const silentMs = answered() ? 0 : lastBeatAt - unansweredSince!;
  if (silentMs > data.stuckTimeoutMs) {
    // The worker's event loop has not answered for the stuck timeout: let the lease run out.
    post({ type: 'withheld', silentMs });
  } else {
    const sentAt = monotonicMs();
    try {
      const status: WorkerStatus = { workingOn, startedUpTo: shared[SHARED.startedUpTo]! };
      const control = await store.heartbeat(instance, status, { queues: data.queues });
      post({ type: 'beat', instance, control, sentAt, rttMs: monotonicMs() - sentAt, incidents: storeIncidents() });
    } catch (error) {
      post({ type: 'beat-failed', instance, message: (error as Error).message, sentAt, incidents: storeIncidents() });
    }
  }
  beating = false;
  // A fixed cadence from this beat's start, not from its reply: a slow round trip must not
  // stretch the time between renewals toward the lease.
  const paceMs = shared[SHARED.busy] ? data.heartbeatMs : data.idleBeatMs;
  arm(Math.max(0, lastBeatAt + paceMs - monotonicMs()));
}

function init(given: LeaseThreadData): void {
  data = given;
  shared = new Float64Array(given.shared);
  instance = given.instance;
  try {
    store = openStoreWith(given.store.url, given.store, storeClasses);
    // Soon, not at once: the worker's first reserve goes out now and should not queue behind us.
    arm(FIRST_BEAT_MS);
    // A store with a write-ahead log to fold in (SQLite): this thread does it, off the worker's
    // event loop, so no enqueue or reserve commit stalls on a checkpoint. A checkpoint of a
    // fallback-sized log takes milliseconds, far below a lease.
    const checkpoint = store.checkpoint?.bind(store);
    if (checkpoint) checkpoints = setInterval(checkpoint, defaults.sqliteCheckpointMs);
  } catch (error) {
    post({ type: 'fatal', message: `lease thread could not open the store: ${(error as Error).message}` });
  }
}

port.on('message', async (message: ToLeaseThread) => {
  if (message.type === 'init') {
    init(message.data);
  } else if (message.type === 'status') {
    workingOn = message.workingOn;
  } else if (message.type === 'instance') {
    instance = message.instance;
  } else if (message.type === 'hurry') {
    // The worker took jobs: a beat armed at the idle pace comes forward to the busy one.
    const busyAt = lastBeatAt + data.heartbeatMs;
    if (!beating && lastBeatAt > 0 && nextBeatAt > busyAt) arm(Math.max(0, busyAt - monotonicMs()));
  } else if (message.type === 'stop') {
    stopping = true;
    clearTimeout(timer);
    clearInterval(checkpoints);
    await store?.close().catch(() => {});
    post({ type: 'stopped', incidents: storeIncidents() });
    port.close();
  }
});

/**
 * Called by the entry file while it loads, before any message is handled: the store class this
 * thread opens. One class only, loaded statically by the entry (a checkout compiles it with
 * tsx's require hook there, which a dynamic import would bypass): a SQLite worker's thread then
 * never loads ioredis, and a Redis worker's never better-sqlite3.
 */
export function useStoreClasses(classes: StoreClasses): void {
  storeClasses = classes;
}
