// The chaos suite's job, loaded by every worker process with `errand work --require chaos/jobs.ts`.
// A job sleeps a few ms, then appends its id to a file of its own process
// ($CHAOS_DIR/done-<pid>.txt) with one O_APPEND write, so a kill -9 right after perform returned
// cannot lose or tear the line. A flaky job throws on its first attempt and succeeds on a retry.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, type JobContext } from '#errand';

function doneFile(): string {
  const dir = process.env.CHAOS_DIR;
  if (!dir) throw new Error('CHAOS_DIR is not set: the chaos job needs a directory for its results');
  return join(dir, `done-${process.pid}.txt`);
}

export const ChaosJob = defineJob({
  name: 'ChaosJob',
  queue: 'chaos',
  retry: { attempts: 3, delay: 50 },
  async perform(id: number, ms: number, flaky: boolean, ctx: JobContext) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (flaky && ctx.attempt === 1) throw new Error(`chaos job ${id} fails its first attempt on purpose`);
    appendFileSync(doneFile(), `${id}\n`);
  },
});
