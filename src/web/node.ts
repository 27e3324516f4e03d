// node:http glue: turns the dashboard's fetch handler into a `(req, res, next?)` listener that
// node:http, Express and Connect-style apps mount. Our own ~60 lines rather than
// @hono/node-server: that package replaces the process's global Request/Response by default, and
// a library mounted in someone's app must not. Invariants: the URL is the one the app received
// (`originalUrl` under Express, so the dashboard sees its mount path); a body is read only for
// POST and capped; a 404 goes to `next` when there is one, so the host app's routes go on.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMITS } from './inputs.ts';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** Forms carry at most a filter and a few ids; anything bigger is refused unread. */
const MAX_BODY_BYTES = LIMITS.maxFormBytes;

async function readBody(req: IncomingMessage & { body?: unknown }): Promise<Uint8Array | string | undefined> {
  // Express with a body parser has read the stream already: re-encode what it parsed.
  if (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
    return new URLSearchParams(Object.entries(req.body as Record<string, unknown>).map(([k, v]) => [k, String(v)])).toString();
  }
  if (typeof req.body === 'string') return req.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function toNodeHandler(fetch: (request: Request) => Promise<Response>): NodeHandler {
  return (req, res, next) => {
    void (async () => {
      const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !name.startsWith(':')) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const method = req.method ?? 'GET';
      const body = method === 'POST' ? await readBody(req) : undefined;
      const response = await fetch(new Request(new URL(path, `http://${req.headers.host ?? 'localhost'}`), { method, headers, body: body as BodyInit | undefined }));
      if (response.status === 404 && next && response.headers.get('x-errand-cascade') === 'pass') return next();
      res.statusCode = response.status;
      response.headers.forEach((value, name) => res.setHeader(name, value));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: { status?: number }) => {
      if (res.headersSent) return void res.destroy();
      res.statusCode = error?.status ?? 500;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end(res.statusCode === 413 ? 'request body too large\n' : 'internal error\n');
    });
  };
}
