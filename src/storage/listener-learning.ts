// Which queues anyone subscribes to, as a publishing process last learned it: the shared half of
// both event transports (redis/events.ts, sqlite/events.ts), which differ only in how they look
// it up. listening() is a map read, so the hot path pays nothing while nobody listens.
// Lifecycle: a queue asked for the first time is looked up at once; then every queue known is
// looked up every `everyMs` while anything asks, and a round with no ask since the last one stops
// the timer (an idle process sends nothing and is not woken; the next ask starts it again);
// close() stops it for good. Invariants: at most one look-up runs at a time; a failed look-up
// keeps what was known (the next round tries again).

export type LookUp = (queues: readonly string[]) => Promise<readonly boolean[]> | readonly boolean[];

export class ListenerLearning {
  private readonly known = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private lookingUp = false;
  private lookUpQueued = false;
  /** Whether listening() was called since the last round. */
  private asked = false;
  private closed = false;

  constructor(private readonly lookUp: LookUp, private readonly everyMs: number) {}

  listening(queue: string): boolean {
    this.asked = true;
    const state = this.known.get(queue);
    if (state !== undefined) {
      if (!this.timer) this.start();
      return state;
    }
    this.known.set(queue, false);
    this.start();
    return false;
  }

  /** What a subscription in this process knows at once, before the next look-up. */
  set(queue: string, listened: boolean): void {
    this.known.set(queue, listened);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    if (!this.lookUpQueued) {
      this.lookUpQueued = true;
      setImmediate(() => {
        this.lookUpQueued = false;
        void this.learn();
      });
    }
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      if (!this.asked) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      this.asked = false;
      void this.learn();
    }, this.everyMs).unref();
  }

  private async learn(): Promise<void> {
    if (this.lookingUp || this.closed) return;
    this.lookingUp = true;
    try {
      const queues = [...this.known.keys()];
      const found = await this.lookUp(queues);
      queues.forEach((queue, i) => this.known.set(queue, found[i] === true));
    } catch {
      // Store unreachable or busy: keep what was known; the next round tries again.
    } finally {
      this.lookingUp = false;
    }
  }
}
