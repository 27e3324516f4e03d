// The jobs push.lua hands straight to this process's parked workers, each on its instance's own
// channel (keys.handoffChannel), so an idle worker starts a pushed job one hop after the push
// instead of hearing a wake-up and then reserving. Lifecycle: a worker's reserves start listening
// on its channel, and only once that subscription is confirmed do they ask to park; unregister
// stops it (forget). Invariants: a handed job reaches its worker once, by whichever path comes
// first: the message, or the worker's next reserve, which returns a hand-off it has not
// acknowledged (reserve.lua). A token a message delivered is dropped from the reserve's reply;
// a message for a token at or below the highest a reserve returned is dropped (that reserve ran
// after the push, so it returned the job, or the job was already delivered and settled).

import type { ReservedJob } from '../types.ts';
import type { WakeListener } from './wake.ts';

/** Tokens remembered per worker to drop a second delivery: far more than can be in transit. */
const DELIVERED_KEPT = 16;

interface Inbox {
  listening: 'no' | 'subscribing' | 'yes';
  /** Handed over by a message, not yet given to the worker. */
  pending: ReservedJob[];
  /** Tokens messages delivered, newest last. */
  delivered: string[];
  /** The last token a message delivered that no reserve has named yet (reserve.lua ARGV[10]). */
  unacknowledged: string;
  highestReserved: number;
}

export class HandoffInboxes {
  private readonly inboxes = new Map<string, Inbox>();

  constructor(
    private readonly wake: WakeListener,
    private readonly channelPrefix: string,
  ) {}

  private inbox(instance: string): Inbox {
    let inbox = this.inboxes.get(instance);
    if (!inbox) this.inboxes.set(instance, (inbox = { listening: 'no', pending: [], delivered: [], unacknowledged: '', highestReserved: 0 }));
    return inbox;
  }

  /**
   * Whether a reserve of this instance may park it: its channel is subscribed and the
   * subscriber connected. Starts subscribing when it is not (a failure is retried next time).
   */
  canPark(instance: string): boolean {
    const inbox = this.inbox(instance);
    if (inbox.listening === 'no') {
      inbox.listening = 'subscribing';
      this.wake.listen(this.channelPrefix + instance).then(
        () => {
          if (this.inboxes.get(instance) === inbox) {
            inbox.listening = 'yes';
            // A worker waiting now did not park: wake it, so its next reserve does.
            this.wake.wakeWorker(instance);
          } else if (!this.inboxes.has(instance)) this.wake.unlisten(this.channelPrefix + instance);
        },
        () => { if (this.inboxes.get(instance) === inbox) inbox.listening = 'no'; },
      );
    }
    return inbox.listening === 'yes' && this.wake.connected();
  }

  /** The jobs handed over and not yet given to the worker (taken: given now). */
  takePending(instance: string): ReservedJob[] {
    const inbox = this.inboxes.get(instance);
    if (!inbox || inbox.pending.length === 0) return [];
    const jobs = inbox.pending;
    inbox.pending = [];
    return jobs;
  }

  /** Jobs taken by takePending() that could not be given after all: pending again, first. */
  restore(instance: string, jobs: readonly ReservedJob[]): void {
    const inbox = this.inboxes.get(instance);
    if (inbox && jobs.length > 0) inbox.pending.unshift(...jobs);
  }

  /** The token for a reserve to name as delivered (so its reply does not carry the job again). */
  deliveredByMessage(instance: string): string {
    return this.inboxes.get(instance)?.unacknowledged ?? '';
  }

  /**
   * A reserve's reply for the worker, less any job a message already delivered; `named` is what
   * that reserve named as delivered (now acknowledged).
   */
  fromReserve(instance: string, jobs: ReservedJob[], named = ''): ReservedJob[] {
    const inbox = this.inbox(instance);
    if (named !== '' && inbox.unacknowledged === named) inbox.unacknowledged = '';
    // Tokens come in increasing order (reserve.lua): the last is the highest.
    if (jobs.length > 0) inbox.highestReserved = Math.max(inbox.highestReserved, Number(jobs[jobs.length - 1]!.token));
    return inbox.delivered.length === 0 ? jobs : jobs.filter((job) => !inbox.delivered.includes(job.token));
  }

  /** A message on a hand-off channel: `token\nqueue\npayload`. */
  onMessage(channel: string, message: string): void {
    if (!channel.startsWith(this.channelPrefix)) return;
    const instance = channel.slice(this.channelPrefix.length);
    const inbox = this.inboxes.get(instance);
    const first = message.indexOf('\n');
    const second = message.indexOf('\n', first + 1);
    if (!inbox || first < 0 || second < 0) return;
    const token = message.slice(0, first);
    if (Number(token) <= inbox.highestReserved || inbox.delivered.includes(token)) return;
    inbox.delivered.push(token);
    inbox.unacknowledged = token;
    if (inbox.delivered.length > DELIVERED_KEPT) inbox.delivered.shift();
    inbox.pending.push({ token, queue: message.slice(first + 1, second), payload: message.slice(second + 1) });
    this.wake.wakeWorker(instance);
  }

  /** The worker left: stop listening. A job still pending went back with its in-flight hash. */
  forget(instance: string): void {
    const inbox = this.inboxes.get(instance);
    if (!inbox) return;
    this.inboxes.delete(instance);
    if (inbox.listening !== 'no') this.wake.unlisten(this.channelPrefix + instance);
  }
}
