// A worker's side of errand.events(): `started` when a job leaves the buffer for a slot, and its
// outcome (`completed`, `retried`, `failed`, with the attempt's duration) when it finishes. Each
// first asks the transport whether anyone listens to that queue (a map read); only then is the
// payload decoded and an event built. Events of one event-loop turn leave as one message per
// queue (EventBatcher). Jobs that are not jobs (bad payload) or not known here send nothing.

import type { EventTransport, WireEvent } from '../storage/event-types.ts';
import type { Outcome, RecoverResult, ReservedJob } from '../storage/types.ts';
import { decodePayload, type DecodedJob } from '../job/payload.ts';
import { errorClassName, errorMessage } from '../worker/failure.ts';
import { EventBatcher } from './publisher.ts';

/** What worker.ts calls. */
export interface WorkerEventSink {
  started(job: ReservedJob): void;
  finished(job: ReservedJob, execution: { readonly outcome: Outcome; readonly info: unknown; readonly error: unknown; readonly durationMs: number }): void;
  recovered(result: RecoverResult): void;
}

export class WorkerEvents implements WorkerEventSink {
  private readonly batcher: EventBatcher;
  /** Queues this worker ran jobs from: where a `recovered` event goes when they are listened to. */
  private readonly queues = new Set<string>();

  constructor(private readonly transport: EventTransport, private readonly workerId: () => string) {
    this.batcher = new EventBatcher(transport);
  }

  /** Learns now whether its named queues are listened to, so a subscriber hears even the first jobs. */
  watch(queues: readonly string[] | '*'): void {
    if (queues !== '*') for (const queue of queues) this.transport.listening(queue);
  }

  started(job: ReservedJob): void {
    if (!this.transport.listening(job.queue)) return;
    const decoded = decodeQuietly(job);
    if (decoded) this.batcher.add({ type: 'started', ...common(job, decoded), worker: this.workerId() });
  }

  finished(job: ReservedJob, { outcome, info, error, durationMs }: Parameters<WorkerEventSink['finished']>[1]): void {
    if (!this.transport.listening(job.queue)) return;
    this.queues.add(job.queue);
    if (info === undefined) return; // a bad payload or a job unknown here: no attempt ran
    const decoded = decodeQuietly(job);
    if (!decoded) return;
    const base = { ...common(job, decoded), worker: this.workerId(), durationMs: Math.round(durationMs * 1000) / 1000 };
    let event: WireEvent;
    if (outcome.kind === 'done') event = { type: 'completed', ...base };
    else if (outcome.kind === 'retry') event = { type: 'retried', ...base, error: describe(error), runAt: outcome.job.runAt };
    else event = { type: 'failed', ...base, error: describe(error) };
    this.batcher.add(event);
  }

  recovered(result: RecoverResult): void {
    if (result.deadWorkers.length === 0 && result.requeued === 0 && result.poisoned === 0) return;
    for (const queue of this.queues) {
      if (!this.transport.listening(queue)) continue;
      this.batcher.add({ type: 'recovered', queue, at: Date.now(), worker: this.workerId(), deadWorkers: result.deadWorkers, requeued: result.requeued, poisoned: result.poisoned });
    }
  }
}

function common(job: ReservedJob, decoded: DecodedJob) {
  return { queue: job.queue, at: Date.now(), name: decoded.name, id: decoded.id ?? `resque-${job.token}`, args: decoded.args, attempt: decoded.attempt };
}

function decodeQuietly(job: ReservedJob): DecodedJob | undefined {
  try {
    return decodePayload(job.payload);
  } catch {
    return undefined;
  }
}

function describe(error: unknown) {
  return { class: errorClassName(error), message: errorMessage(error) };
}
