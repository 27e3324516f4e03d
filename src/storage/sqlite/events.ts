// Job lifecycle events on SQLite: in-process only. Subscribers and publishers of one database
// file in this process meet on a bus keyed by the file's path; events from other processes on
// the same file are not seen (a cross-process design would need a table that workers write
// whenever someone listens and subscribers poll or watch: not built). With no subscriber in
// this process, listening() is false and nothing is published.

import type { EventTransport, WireEvent } from '../event-types.ts';

type Deliver = (events: readonly WireEvent[]) => void;

class Bus {
  readonly byQueue = new Map<string, Set<Deliver>>();
}

const buses = new Map<string, Bus>();

export class SqliteEvents implements EventTransport {
  private readonly bus: Bus;

  constructor(path: string) {
    let bus = buses.get(path);
    if (!bus) buses.set(path, (bus = new Bus()));
    this.bus = bus;
  }

  listening(queue: string): boolean {
    return (this.bus.byQueue.get(queue)?.size ?? 0) > 0;
  }

  publish(queue: string, events: readonly WireEvent[]): void {
    const listeners = this.bus.byQueue.get(queue);
    if (!listeners) return;
    // Through JSON, as over Redis: a subscriber cannot change what another one sees.
    const copy = JSON.stringify(events);
    setImmediate(() => {
      for (const deliver of listeners) deliver(JSON.parse(copy) as WireEvent[]);
    });
  }

  async subscribe(queues: readonly string[], deliver: Deliver): Promise<() => Promise<void>> {
    for (const queue of queues) {
      let set = this.bus.byQueue.get(queue);
      if (!set) this.bus.byQueue.set(queue, (set = new Set()));
      set.add(deliver);
    }
    return async () => {
      for (const queue of queues) {
        const set = this.bus.byQueue.get(queue);
        set?.delete(deliver);
        if (set?.size === 0) this.bus.byQueue.delete(queue);
      }
    };
  }

  close(): void {}
}
