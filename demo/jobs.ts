// The demo's jobs: the slow work a web app should not do while a user waits. Each one writes its
// result under the demo's data dir, named by the job id, so anyone can check that every job ran.
// The web app (app.ts) enqueues them; worker processes load this file with
// `errand work --require demo/jobs.ts`. In your own app, import from 'errand' instead.

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineJob, type JobContext } from '../src/index.ts';
import { renderThumbnail } from './render.ts';

/** Where the demo keeps its database and outputs: ERRAND_DEMO_DIR, else ./var. */
export function demoDir(): string {
  return resolve(process.env.ERRAND_DEMO_DIR || 'var');
}

/** The file a job's run leaves behind, by job name and id (the id stays the same across retries). */
export function outputFile(jobName: string, id: string): string {
  const kind = { SendWelcomeEmail: 'mail/%.eml', RenderDocument: 'documents/%.png', FetchWeather: 'weather/%.json' }[jobName];
  if (!kind) throw new Error(`no output known for job ${jobName}`);
  return join(demoDir(), 'demo-output', kind.replace('%', id));
}

/** Writes to a temporary name and renames, so a file that exists is a complete one. */
async function writeOutput(path: string, data: string | Buffer): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}

export const sendWelcomeEmail = defineJob({
  name: 'SendWelcomeEmail',
  queue: 'email',
  // Mail servers say "try again later" (SMTP 421) now and then; a retry a moment later works.
  retry: { attempts: 4, backoff: 'fixed', delay: '200ms' },
  async perform(userId: number, email: string, ctx: JobContext) {
    await sleep(250 + Math.random() * 250, undefined, { signal: ctx.signal }); // SMTP handshake + DATA
    if (userId % 4 === 0 && ctx.attempt === 1) throw new Error('421 4.7.0 smtp.demo.local: try again later');
    const message = [
      'From: Errand Demo <hello@demo.local>',
      `To: <${email}>`,
      'Subject: Welcome aboard!',
      `Message-ID: <${ctx.id}@demo.local>`,
      `Date: ${new Date().toUTCString()}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Hello user #${userId}, thanks for signing up.`,
      `(delivered on attempt ${ctx.attempt})`,
      '',
    ].join('\r\n');
    await writeOutput(outputFile('SendWelcomeEmail', ctx.id), message);
  },
});

export const renderDocument = defineJob({
  name: 'RenderDocument',
  queue: 'documents',
  // Rendering checks its signal between bands of rows: a runaway document stops here.
  timeout: '10s',
  async perform(title: string, pages: number, ctx: JobContext) {
    const { png, svg } = await renderThumbnail(title, pages, ctx.signal);
    const file = outputFile('RenderDocument', ctx.id);
    await writeOutput(file.replace(/\.png$/, '.svg'), svg);
    await writeOutput(file, png); // last: its presence means the whole document is done
  },
});

export const fetchWeather = defineJob({
  name: 'FetchWeather',
  queue: 'api',
  // A hung API call would hold a worker slot forever: abort it, try once more, then fail.
  timeout: '3s',
  retry: { attempts: 2, backoff: 'fixed', delay: '500ms' },
  async perform(city: string, ctx: JobContext) {
    const api = process.env.ERRAND_DEMO_API;
    if (!api) throw new Error('ERRAND_DEMO_API is not set: start the demo with npm start');
    const response = await fetch(`${api}/weather?city=${encodeURIComponent(city)}`, { signal: ctx.signal });
    if (!response.ok) throw new Error(`weather API answered ${response.status}`);
    const report = (await response.json()) as Record<string, unknown>;
    await writeOutput(outputFile('FetchWeather', ctx.id), `${JSON.stringify({ ...report, jobId: ctx.id }, null, 2)}\n`);
  },
});
