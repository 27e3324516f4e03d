// Batches events for publishing: everything added in one turn of the event loop goes out as one
// message per queue (a settle batch's outcomes, say, or a bulk enqueue), not one per job.
// Callers ask transport.listening(queue) before building an event, so with nobody listening
// nothing reaches here.

import type { EventTransport, WireEvent } from '../storage/event-types.ts';

export class EventBatcher {
  private readonly pending = new Map<string, WireEvent[]>();
  private scheduled = false;

  constructor(readonly transport: EventTransport) {}

  add(event: WireEvent): void {
    let list = this.pending.get(event.queue);
    if (!list) this.pending.set(event.queue, (list = []));
    list.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    for (const [queue, events] of this.pending) this.transport.publish(queue, events);
    this.pending.clear();
  }
}
