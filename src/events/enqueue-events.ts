// A client's side of errand.events(): `enqueued` events for the jobs an enqueue call stored,
// sent after the store has them. Asks listening(queue) once per call (a map read) and builds
// nothing when nobody listens; a bulk enqueue's events leave as one message.

import type { EventTransport } from '../storage/event-types.ts';
import { EventBatcher } from './publisher.ts';

export class EnqueueEvents {
  private readonly batcher: EventBatcher;

  constructor(private readonly transport: EventTransport) {
    this.batcher = new EventBatcher(transport);
  }

  enqueued(jobs: readonly { readonly id: string; readonly name: string; readonly queue: string; readonly args: readonly unknown[]; readonly runAt?: number | undefined }[]): void {
    if (jobs.length === 0 || !this.transport.listening(jobs[0]!.queue)) return;
    const at = Date.now();
    for (const job of jobs) {
      this.batcher.add({ type: 'enqueued', queue: job.queue, at, name: job.name, id: job.id, args: job.args, attempt: 1, ...(job.runAt !== undefined && job.runAt > at ? { runAt: job.runAt } : {}) });
    }
  }
}
