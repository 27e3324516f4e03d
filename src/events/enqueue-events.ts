// A client's side of errand.events(): `enqueued` events for the jobs an enqueue call stored,
// sent as soon as the store has them, in one message per call (a bulk enqueue's too). Not
// deferred to the end of the event-loop turn as a worker's events are: a worker woken by this
// enqueue needs a round trip before it can publish `started`, so sent at once, `enqueued` is
// heard first. Asks listening(queue) once per call (a map read) and builds nothing when nobody listens.

import type { EventTransport, WireEvent } from '../storage/event-types.ts';

export class EnqueueEvents {
  constructor(private readonly transport: EventTransport) {}

  enqueued(jobs: readonly { readonly id: string; readonly name: string; readonly queue: string; readonly args: readonly unknown[]; readonly runAt?: number | undefined }[]): void {
    if (jobs.length === 0 || !this.transport.listening(jobs[0]!.queue)) return;
    const at = Date.now();
    const events: WireEvent[] = jobs.map((job) => ({
      type: 'enqueued', queue: job.queue, at, name: job.name, id: job.id, args: job.args, attempt: 1, ...(job.runAt !== undefined && job.runAt > at ? { runAt: job.runAt } : {}),
    }));
    this.transport.publish(jobs[0]!.queue, events);
  }
}
