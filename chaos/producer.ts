// The chaos suite's producer: enqueues job ids 0..n-1 in small batches spread over a time span,
// while the chaos loop runs. About 10 % of the jobs are flaky (fail their first attempt, then
// retry) and about 5 % are delayed (enqueueIn, up to 1.5 s), so the scheduled set is exercised
// too. About 25 % go as single awaited enqueues, each a lone push that Redis may hand straight
// to an idle worker (the hand-off), the rest in bulk. An enqueue that rejects is retried until
// it succeeds; retries are counted, because a rejected enqueue might still have landed and
// would then run twice (that is at-least-once).

import type { Errand } from '../src/index.ts';
import { ChaosJob } from './jobs.ts';

export interface ProducerFigures {
  flaky: number;
  delayed: number;
  /** Jobs enqueued one at a time (errand.enqueue, awaited). */
  singles: number;
  /** Enqueue calls that rejected and were retried. */
  retries: number;
  lastError: string | undefined;
}

type Args = [id: number, ms: number, flaky: boolean];

export async function produce(errand: Errand, jobs: number, spanMs: number, stopped: () => boolean): Promise<ProducerFigures> {
  const figures: ProducerFigures = { flaky: 0, delayed: 0, singles: 0, retries: 0, lastError: undefined };
  const stepMs = 50;
  const steps = Math.max(1, Math.floor(spanMs / stepMs));
  const perStep = Math.ceil(jobs / steps);
  const start = Date.now();
  for (let next = 0, step = 0; next < jobs; step++) {
    const now: Args[] = [];
    const single: Args[] = [];
    const later: Args[] = [];
    for (const end = Math.min(jobs, next + perStep); next < end; next++) {
      const flaky = Math.random() < 0.1;
      const args: Args = [next, 1 + Math.floor(Math.random() * 40), flaky];
      if (flaky) figures.flaky++;
      const draw = Math.random();
      if (draw < 0.05) later.push(args);
      else if (draw < 0.3) single.push(args);
      else now.push(args);
    }
    figures.delayed += later.length;
    figures.singles += single.length;
    await retrying(figures, stopped, () => errand.enqueueBulk(ChaosJob, now));
    for (const args of single) await retrying(figures, stopped, () => errand.enqueue(ChaosJob, ...args));
    for (const args of later) await retrying(figures, stopped, () => errand.enqueueIn(Math.floor(Math.random() * 1_500), ChaosJob, ...args));
    const wait = start + (step + 1) * stepMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return figures;
}

async function retrying(figures: ProducerFigures, stopped: () => boolean, enqueue: () => Promise<unknown>): Promise<void> {
  for (;;) {
    try {
      await enqueue();
      return;
    } catch (error) {
      if (stopped()) throw error;
      figures.retries++;
      figures.lastError = (error as Error).message;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
