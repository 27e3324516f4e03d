// What the bench's main process and a worker child (child.ts) say to each other over IPC, and
// the clock both use: absolute milliseconds with sub-millisecond resolution, comparable across
// processes on one machine (Date.now() has only whole milliseconds).

export interface ChildConfig {
  system: string;
  ns: string;
  concurrency: number;
  /** Jobs after which `done` is sent (0: never). */
  expect: number;
  /** Record start latency: the job's argument is its enqueue time. */
  latency: boolean;
}
export type ChildCommand = { cmd: 'start' } | { cmd: 'idle'; ms: number; windows: number } | { cmd: 'stop' };
export type ChildMessage =
  | { type: 'ready' } | { type: 'started' } | { type: 'done'; ms: number; firstMs: number; rssBytes: number } | { type: 'idle'; cpuPercent: number }
  | { type: 'stopped'; count: number; latencies: number[] } | { type: 'error'; message: string };

export const absNow = () => performance.timeOrigin + performance.now();
