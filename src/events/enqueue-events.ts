// A client's side of errand.events(): `enqueued` events for the jobs an enqueue call stored,
// sent as soon as the store has them, in one message per call (a bulk enqueue's too). Not
// deferred to the end of the event-loop turn as a worker's events are: a worker woken by this
// enqueue needs a round trip before it can publish `started`, so sent at once, `enqueued` is
// heard first. On Redis a job may be handed straight to an idle worker, with no round trip
// left: there the store publishes `message()` inside the push itself (Store.announcesWithPush).
// Asks listening(queue) once per call (a map read) and builds nothing when nobody listens.

import type { EventTransport, WireEvent } from '../storage/event-types.ts';

export class EnqueueEvents {
  constructor(private readonly transport: EventTransport) {}

  enqueued(jobs: readonly EnqueuedFacts[]): void {
    if (jobs.length === 0 || !this.transport.listening(jobs[0]!.queue)) return;
    this.transport.publish(jobs[0]!.queue, wire(jobs));
  }

  /**
   * The same events as one wire message, for a store that publishes it with the push
   * (Store.announcesWithPush); undefined when nobody listens.
   */
  message(jobs: readonly EnqueuedFacts[]): string | undefined {
    if (jobs.length === 0 || !this.transport.listening(jobs[0]!.queue)) return undefined;
    return JSON.stringify(wire(jobs));
  }
}

type EnqueuedFacts = { readonly id: string; readonly name: string; readonly queue: string; readonly args: readonly unknown[]; readonly runAt?: number | undefined };

function wire(jobs: readonly EnqueuedFacts[]): WireEvent[] {
  const at = Date.now();
  return jobs.map((job) => ({
    type: 'enqueued', queue: job.queue, at, name: job.name, id: job.id, args: job.args, attempt: 1, ...(job.runAt !== undefined && job.runAt > at ? { runAt: job.runAt } : {}),
  }));
}
