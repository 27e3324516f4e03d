// The enqueue write path of an errand instance: prepared jobs go to the store (pushed when due,
// scheduled otherwise) or, in inline mode, run at once; then the enqueued event, the metrics
// count and the afterEnqueue hooks. Lifecycle: one per Errand, made with it; its event publisher
// is made on the first write. Invariants: it only writes what prepare.ts (or now()'s own checks)
// accepted; a call's jobs share name, queue and runAt; a write that fails rejects the enqueue
// and nothing after it (event, count, hooks) happens.

import type { EnqueuedJob, JobSpec } from '../job/define.ts';
import { assertJsonSafe } from '../job/json-safe.ts';
import type { Plugin } from '../job/types.ts';
import type { Logger } from '../log.ts';
import type { Recorder } from '../metrics/recorder.ts';
import { runAfterEnqueue } from '../plugins/hooks.ts';
import { eventTransportOf } from '../storage/events.ts';
import type { ScheduledJob, Store } from '../storage/types.ts';
import type { LoadedTracing } from '../tracing/load.ts';
import { EnqueueEvents } from '../events/enqueue-events.ts';
import { randomUUID } from 'node:crypto';
import { runInline } from './inline.ts';
import { batchEncoder, encodeJob, type Prepared, type PreparedJob } from './prepare.ts';

/** Payloads encoded and stored per round trip in a bulk enqueue on Redis (SQLite: one write). */
const ENCODE_CHUNK = 5_000;

export interface EnqueueWriteDeps {
  inline: boolean;
  plugins: readonly Plugin[];
  log: Logger;
  /** The store, opened on first use. */
  store(): Promise<Store>;
  /** Every job the instance can run (inline mode runs them). */
  jobs(): Map<string, JobSpec>;
  /** Tracing once loaded, if ever. */
  tracing(): LoadedTracing | undefined;
  /** The metrics recorder if recording began (never made here). */
  recorder(): Recorder | undefined;
}

export class EnqueueWrite {
  private enqueueEvents: EnqueueEvents | undefined;

  constructor(private readonly deps: EnqueueWriteDeps) {}

  /** write() for a job that is due now and needs no hook, schema or span, the store open. */
  now(store: Store, spec: JobSpec, args: unknown[]): Promise<EnqueuedJob> {
    let job: PreparedJob;
    try {
      for (let a = 0; a < args.length; a++) assertJsonSafe(args[a], a);
      job = { id: randomUUID(), name: spec.name, queue: spec.queue, args, runAt: undefined, attempt: 1, enqueuedAt: Date.now() };
    } catch (error) {
      return Promise.reject(error);
    }
    const events = (this.enqueueEvents ??= new EnqueueEvents(eventTransportOf(store)));
    const announce = store.announcesWithPush ? events.message([job]) : undefined;
    return store.push([{ queue: job.queue, payload: encodeJob(job), announce }]).then(() => {
      if (!store.announcesWithPush) events.enqueued([job]);
      this.deps.recorder()?.enqueued(job.queue, job.name, 1);
      return job;
    });
  }

  async write({ jobs, plugins }: Prepared): Promise<EnqueuedJob[]> {
    if (jobs.length === 0) return [];
    if (this.deps.inline) {
      for (const job of jobs) await runInline(job, this.deps.jobs(), this.deps.plugins, this.deps.log);
    } else {
      const store = await this.deps.store();
      // Every job of one call shares runAt: all due now, or all scheduled.
      const runAt = jobs[0]!.runAt;
      const due = runAt === undefined || runAt <= Date.now();
      // Redis: chunks go out without waiting for each other, the next one encoded while the
      // previous one travels; all are awaited, so a failure still rejects the enqueue. SQLite:
      // one write, so the bulk enqueue is one transaction, all stored or none (and a local file
      // gains nothing from overlapping chunks).
      const writes: Promise<void>[] = [];
      const tracing = this.deps.tracing();
      const sending = tracing?.tracer.on() ? tracing.tracer.send(jobs, !due) : undefined;
      const encode = batchEncoder(jobs[0]!, sending?.fields);
      const chunk = store.kind === 'sqlite' ? jobs.length : ENCODE_CHUNK;
      const events = (this.enqueueEvents ??= new EnqueueEvents(eventTransportOf(store)));
      // Due jobs' `enqueued` events go with the push where the store can (see EnqueueEvents).
      const announcing = due && store.announcesWithPush === true;
      for (let start = 0; start < jobs.length; start += chunk) {
        const part = jobs.slice(start, start + chunk);
        const stored: ScheduledJob[] = part.map((job) => ({ queue: job.queue, payload: encode(job), runAt: runAt! }));
        const announce = announcing ? events.message(part) : undefined;
        if (announce) stored[0] = { ...stored[0]!, announce };
        writes.push(due ? store.push(stored) : store.schedule(stored));
      }
      await (sending ? sending.around(Promise.all(writes)) : Promise.all(writes));
      if (!announcing) events.enqueued(jobs);
    }
    this.deps.recorder()?.enqueued(jobs[0]!.queue, jobs[0]!.name, jobs.length); // one call's jobs share name and queue
    if (plugins.length > 0) for (const job of jobs) await runAfterEnqueue(plugins, job);
    return jobs;
  }
}
