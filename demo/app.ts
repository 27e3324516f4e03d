// The demo's web app (plain node:http): three endpoints whose work is slow. By default each hands
// its work to errand and answers at once with the job id (202); with ?inline=1 it does the work
// before answering, as an app without a queue would (201). Both paths run the very same job: the
// inline path uses an errand instance in inline mode, so the comparison is fair.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Errand } from '../src/index.ts';
import { fetchWeather, outputFile, renderDocument, sendWelcomeEmail } from './jobs.ts';

export interface AppOptions {
  /** Stores jobs for the worker processes. */
  queued: Errand;
  /** Runs jobs at once, inside the request (createErrand({ inline: true })). */
  inline: Errand;
}

type Handler = (errand: Errand, req: IncomingMessage, url: URL) => Promise<{ id: string; name: string } | null>;

let nextUserId = 1;

const routes: Record<string, Handler> = {
  'POST /signup': async (errand, req) => {
    const { email } = await readJson(req);
    if (typeof email !== 'string' || !email.includes('@')) throw new BadRequest('send {"email": "you@example.com"}');
    return errand.enqueue(sendWelcomeEmail, nextUserId++, email); // a real app would insert the user first
  },
  'POST /documents': async (errand, req) => {
    const { title, pages } = await readJson(req);
    if (typeof title !== 'string' || !Number.isInteger(pages) || (pages as number) < 1) throw new BadRequest('send {"title": "Q3 report", "pages": 4}');
    return errand.enqueue(renderDocument, title, pages as number);
  },
  'GET /weather': async (errand, _req, url) => {
    const city = url.searchParams.get('city');
    if (!city) throw new BadRequest('use /weather?city=Paris');
    return errand.enqueue(fetchWeather, city);
  },
};

class BadRequest extends Error {}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const piece of req) {
    body += piece;
    if (body.length > 64_000) throw new BadRequest('body too large');
  }
  try {
    const value: unknown = JSON.parse(body || '{}');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {}
  throw new BadRequest('the body must be a JSON object');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

export function createApp(options: AppOptions): Server {
  return createServer(async (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://app.local');
    const handler = routes[`${req.method} ${url.pathname}`];
    if (!handler) return send(res, 404, { error: 'not found', try: Object.keys(routes) });
    const inline = url.searchParams.get('inline') === '1';
    try {
      const job = await handler(inline ? options.inline : options.queued, req, url);
      if (!job) return send(res, 409, { error: 'a hook vetoed the job' });
      const ms = Math.round((performance.now() - started) * 100) / 100;
      send(res, inline ? 201 : 202, { jobId: job.id, job: job.name, mode: inline ? 'inline' : 'errand', ms, output: outputFile(job.name, job.id) });
    } catch (error) {
      // Inline there are no retries: a transient failure reaches the user as an error page.
      send(res, error instanceof BadRequest ? 400 : 502, { error: (error as Error).message });
    }
  });
}

export async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
