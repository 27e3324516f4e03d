// Shared machinery of the store conformance suite: how a case opens its own fresh store, how
// skips and known failures (todo) are attached per store, and small helpers the cases share.
// Every case opens its own store (own namespace or DB file), closes every instance it opened,
// then calls the fixture's cleanup, so cases can run in parallel and leave nothing behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Control, ReservedJob, Store } from '../../src/storage/types.ts';

export interface OpenedStore {
  store: Store;
  /** Removes the store's data (namespace keys, DB file). Called after every instance is closed. */
  cleanup: () => Promise<void>;
  /** Opens another instance on the same data, with its own connections (another process, in effect). */
  another?: () => Promise<Store>;
}

export type OpenStore = () => Promise<OpenedStore>;

export interface ConformanceOptions {
  /** Case name → why this store does not run it. */
  skip?: Record<string, string>;
  /** Case name → known bug: the case runs and reports, but does not fail the run. */
  todo?: Record<string, string>;
}

export interface Ctx {
  store: Store;
  /** Another instance on the same data; closed by the harness. */
  another(): Promise<Store>;
  /**
   * Registers a fresh worker on `store` (default: ctx.store) and returns its instance id. Its
   * lease is a minute unless given: pass SHORT_LEASE_MS and wait leaseRunsOut() for a dead one.
   */
  worker(queues?: readonly string[], on?: Store, options?: WorkerOptions): Promise<string>;
}

export interface WorkerOptions {
  leaseMs?: number;
  concurrency?: number;
  /** The Resque id to show (default: a fresh one per worker). */
  id?: string;
}

interface CaseOptions {
  /** The case needs a second instance on the same data. */
  needsAnother?: boolean;
  timeoutMs?: number;
}

export class Registry {
  private readonly names = new Set<string>();

  constructor(private readonly open: OpenStore, private readonly options: ConformanceOptions) {}

  case(name: string, body: (ctx: Ctx) => Promise<void>, caseOptions: CaseOptions = {}): void {
    if (this.names.has(name)) throw new Error(`conformance case "${name}" is registered twice`);
    this.names.add(name);
    const skip = this.options.skip?.[name];
    const todo = this.options.todo?.[name];
    test(name, { timeout: caseOptions.timeoutMs ?? 30_000, ...(skip ? { skip } : {}), ...(todo ? { todo } : {}) }, async (t) => {
      const opened = await this.open();
      if (caseOptions.needsAnother && !opened.another) {
        await opened.store.close();
        await opened.cleanup();
        t.skip('the fixture cannot open a second instance on the same data');
        return;
      }
      const extra: Store[] = [];
      let workers = 0;
      const ctx: Ctx = {
        store: opened.store,
        another: async () => {
          const store = await opened.another!();
          extra.push(store);
          return store;
        },
        worker: async (queues = ['default'], on = opened.store, options = {}) => {
          const id = options.id ?? `conformance-host:${process.pid}${String(++workers).padStart(3, '0')}:${queues.join(',')}`;
          return on.register({ id, queues, startedAt: new Date(), leaseMs: options.leaseMs ?? LONG_LEASE_MS, concurrency: options.concurrency });
        },
      };
      try {
        await body(ctx);
      } finally {
        await Promise.allSettled([opened.store.close(), ...extra.map((store) => store.close())]);
        await opened.cleanup();
      }
    });
  }

  /** Every skip/todo key must name a registered case, so a renamed case cannot silently lose its marker. */
  checkMarkers(): void {
    for (const key of [...Object.keys(this.options.skip ?? {}), ...Object.keys(this.options.todo ?? {})]) {
      if (!this.names.has(key)) throw new Error(`conformance option names no case: "${key}"`);
    }
  }
}

let serial = 0;
/** A Resque-style payload, unique per call: `{"class":..,"args":[..],"id":..,"queue":..}`. */
export function payload(queue: string, label: string | number): string {
  return JSON.stringify({ class: 'ConformanceJob', args: [label], id: `c${++serial}-${label}`, queue, enqueued_at: 1_700_000_000 });
}

export function payloads(queue: string, count: number, prefix = ''): string[] {
  return Array.from({ length: count }, (_, i) => payload(queue, `${prefix}${i}`));
}

export async function pushAll(store: Store, queue: string, list: readonly string[]): Promise<void> {
  await store.push(list.map((p) => ({ queue, payload: p })));
}

/** Reserves until the queues give nothing more, `batch` at a time. */
export async function drain(store: Store, workerId: string, queues: readonly string[] | '*', batch = 100): Promise<ReservedJob[]> {
  const all: ReservedJob[] = [];
  for (;;) {
    const got = await store.reserve(workerId, queues, batch);
    if (got.length === 0) return all;
    assert.ok(got.length <= batch, `reserve returned ${got.length} jobs for max ${batch}`);
    all.push(...got);
  }
}

/** Whole content of a queue, head first, through the admin view. */
export async function contents(store: Store, queue: string): Promise<string[]> {
  return store.admin().peek(queue, 0, 1_000_000);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Leases run on the store's clock, so a case makes a dead worker by registering it with a short
 * lease and waiting for it to run out (leaseRunsOut), and a live one with a long lease.
 */
export const LONG_LEASE_MS = 60_000;
export const SHORT_LEASE_MS = 40;
export const leaseRunsOut = () => sleep(3 * SHORT_LEASE_MS);
export const recoverDefaults = { maxDeaths: 3, promoteLimit: 1_000, reapDead: true } as const;

/** The part of a heartbeat's answer about the worker itself (maintenance hints aside). */
export const knownPaused = ({ known, paused }: Control) => ({ known, paused });

/** Runs `wait` and says whether it settled before `limitMs` (a generous bound, not a timing test). */
export async function settlesWithin(wait: Promise<unknown>, limitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), limitMs); });
  try {
    return await Promise.race([wait.then(() => true as const), limit]);
  } finally {
    clearTimeout(timer);
  }
}
