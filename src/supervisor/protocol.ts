// The messages a supervised worker process sends its supervisor over the IPC channel that
// child_process.fork() opens. One direction only (child → supervisor): the supervisor talks to
// its children with signals, exactly as an operator would, so a child behaves the same whether a
// person or the supervisor stops it. Messages are plain JSON; unknown ones are ignored.

import type { MetricsSnapshot } from '../metrics/snapshot.ts';

/** Set in a child's environment by the supervisor; with an IPC channel it makes `errand work` a supervised child. */
export const SUPERVISED_ENV = 'ERRAND_SUPERVISED';
/** Set to 1 when the supervisor serves /metrics: the child records metrics and sends them in its heartbeats. */
export const METRICS_ENV = 'ERRAND_SUPERVISED_METRICS';

export type ChildMessage =
  /** Every second from a timer: proves the event loop turns; carries memory and job counts. */
  | { type: 'errand:heartbeat'; rss: number; jobs: number; byQueue: Record<string, number>; metrics?: MetricsSnapshot }
  /** The worker registered with the store and its signal handlers are installed. */
  | { type: 'errand:ready'; workerId: string }
  /** The child asks to be replaced gracefully (e.g. it reached --max-jobs). */
  | { type: 'errand:recycle'; reason: string };

export function isChildMessage(value: unknown): value is ChildMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('errand:');
}
