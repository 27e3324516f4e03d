// The default instance behind `job.enqueue(...)`: created on first use from the environment
// (ERRAND_URL, REDIS_URL, or the SQLite default; ERRAND_INLINE), shared by the whole process.
// setDefaultErrand() lets an app (or a test) choose it explicitly instead.

import { setDefaultEnqueuer } from '../job/define.ts';
import { createErrand, type Errand } from './errand.ts';

let instance: Errand | undefined;

export function defaultErrand(): Errand {
  instance ??= createErrand();
  return instance;
}

/** Makes `errand` the instance that job.enqueue() uses; returns the previous one (not closed). */
export function setDefaultErrand(errand: Errand | undefined): Errand | undefined {
  const previous = instance;
  instance = errand;
  return previous;
}

setDefaultEnqueuer(defaultErrand);
