// The worker side of one benchmark run, in its own process (so the producer's event loop is not
// the worker's). Started by runner.ts with fork(); takes commands over IPC:
//   start  → starts the consumer (t0), replies `started`; when `expect` jobs are done and the
//            store agrees, sends `done` with the elapsed ms and the RSS
//   idle   → measures this process's CPU over `windows` windows of `ms` while nothing is
//            enqueued, replies `idle` with the median window
//   stop   → stops the consumer, replies `stopped` with every job counted and latencies, exits
// Times are absolute (timeOrigin + now), so they compare with the producer's clock.

import { loadAdapter } from './adapters/index.ts';
import { absNow, type ChildCommand, type ChildConfig, type ChildMessage } from './protocol.ts';

const send = (message: ChildMessage) => process.send!(message);

async function main(config: ChildConfig): Promise<void> {
  const adapter = await loadAdapter(config.system);
  const latencies: number[] = [];
  let count = 0;
  let t0 = 0;
  let firstMs = -1;
  const consumer = await adapter.consumer(config.ns, config.concurrency, {
    onStart(arg) {
      if (firstMs < 0) firstMs = performance.now() - t0;
      if (config.latency) latencies.push(absNow() - arg);
    },
    onDone() {
      if (++count === config.expect) void finish();
    },
  });
  async function finish() {
    await consumer.settled?.(config.expect);
    send({ type: 'done', ms: performance.now() - t0, firstMs, rssBytes: process.memoryUsage().rss });
  }
  process.on('message', async (message: ChildCommand) => {
    try {
      if (message.cmd === 'start') {
        t0 = performance.now();
        await consumer.start();
        send({ type: 'started' });
      } else if (message.cmd === 'idle') {
        // The median of several windows: a garbage collection V8 runs now and then costs ~50 ms,
        // more than a minute of a queue's idle work, and would otherwise decide the figure.
        const percents: number[] = [];
        for (let i = 0; i < message.windows; i++) {
          const before = process.cpuUsage();
          await new Promise((resolve) => setTimeout(resolve, message.ms));
          const used = process.cpuUsage(before);
          percents.push(((used.user + used.system) / 1000 / message.ms) * 100);
        }
        percents.sort((a, b) => a - b);
        send({ type: 'idle', cpuPercent: percents[Math.floor(percents.length / 2)]! });
      } else if (message.cmd === 'stop') {
        await consumer.stop();
        send({ type: 'stopped', count, latencies });
        process.disconnect();
        setTimeout(() => process.exit(0), 200).unref(); // some clients keep timers alive after close
      }
    } catch (error) {
      send({ type: 'error', message: (error as Error).stack ?? String(error) });
    }
  });
  send({ type: 'ready' });
}

if (process.send) {
  main(JSON.parse(process.argv[2]!) as ChildConfig).catch((error) => {
    process.send!({ type: 'error', message: (error as Error).stack ?? String(error) });
    process.exit(1);
  });
}
