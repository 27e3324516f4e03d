// `errand web`: serves the dashboard alone on node:http. Refuses to listen beyond loopback
// without credentials (--auth user:password or ERRAND_WEB_AUTH), checked as HTTP Basic auth in
// constant time. Runs until SIGINT/SIGTERM, then closes the server and the store.

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createDashboard } from '../web/index.ts';
import { constantTimeEqual } from '../web/security.ts';
import { errandFrom, usage, STORE_HELP, storeFlags, UsageError } from './shared.ts';

export const help = `Usage: errand web [--port 5678] [--host 127.0.0.1] [--base-path /errand] [--auth user:password] [--read-only] [--no-metrics]

Serves the dashboard: queues, failures, scheduled jobs, workers, a live jobs/s chart.
  --port N           port to listen on (default 5678; 0 picks a free one)
  --host ADDRESS     address to listen on (default 127.0.0.1). Anything beyond loopback needs --auth
  --base-path PATH   serve under PATH (behind a proxy that keeps the prefix), e.g. /errand
  --auth USER:PASS   require HTTP Basic credentials (default: ERRAND_WEB_AUTH); use HTTPS in front
  --read-only        show everything, change nothing
  --no-metrics       serve no /metrics (another process reads the store gauges: docs/metrics.md)
GET /metrics (behind the same auth) serves Prometheus metrics read from the store: queue sizes and latency,
scheduled, failed, workers (the per-job counters come from the workers: errand work --health-port).
${STORE_HELP}`;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** An authorize hook asking for HTTP Basic credentials equal to `userPass`. */
export function basicAuth(userPass: string): (request: Request) => true | Response {
  return (request) => {
    const header = request.headers.get('authorization') ?? '';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
    if (constantTimeEqual(given, userPass)) return true;
    return new Response('credentials required\n', { status: 401, headers: { 'www-authenticate': 'Basic realm="errand", charset="UTF-8"', 'content-type': 'text/plain; charset=utf-8' } });
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({
    args: argv,
    options: { ...storeFlags, port: { type: 'string' }, host: { type: 'string' }, 'base-path': { type: 'string' }, auth: { type: 'string' }, 'read-only': { type: 'boolean' }, 'no-metrics': { type: 'boolean' } },
    allowPositionals: false, strict: true,
  }));
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const port = Number(values.port ?? 5678);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${values.port}`);
  const host = values.host ?? '127.0.0.1';
  const auth = values.auth ?? process.env.ERRAND_WEB_AUTH ?? '';
  if (auth && !/^[^:]+:.+$/.test(auth)) throw new UsageError('--auth (or ERRAND_WEB_AUTH) must be user:password, both non-empty');
  if (!auth && !isLoopback(host)) throw new UsageError(`refusing to serve the dashboard on ${host} without credentials: anyone who reaches it could change your queues. Pass --auth user:password (or set ERRAND_WEB_AUTH), or listen on 127.0.0.1`);
  const errand = errandFrom(values);
  const dashboard = createDashboard({ errand, basePath: values['base-path'], readOnly: values['read-only'], authorize: auth ? basicAuth(auth) : undefined, metrics: !values['no-metrics'] });
  await errand.admin(); // open the store now: a bad URL fails here, not at the first page view
  const server = createServer(dashboard.node);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const address = server.address();
  const shown = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`errand dashboard on http://${host.includes(':') ? `[${host}]` : host}:${shown}${dashboard.basePath || '/'}${auth ? ' (HTTP Basic auth)' : ''}${values['read-only'] ? ' (read-only)' : ''}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
  await errand.close();
  return 0;
}
