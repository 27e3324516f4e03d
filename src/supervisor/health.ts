// The supervisor's HTTP health endpoints, for a load balancer, Kubernetes or systemd watchdogs:
//   GET /healthz  liveness: 200 while the supervisor's event loop answers
//   GET /readyz   readiness: 200 when at least one worker process is registered and taking jobs, else 503
//   GET /metrics  Prometheus text: the children's counters summed, and gauges read from the store
// The first two answer JSON. Lifecycle: listen() once, close() on shutdown. It only reads pool state
// (and, for /metrics, the store).

import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Pool } from './pool.ts';

export class HealthServer {
  private server: Server | undefined;

  constructor(private readonly pool: Pool, private readonly metrics?: () => Promise<Registry>) {}

  /** Resolves with the port bound (useful with port 0). */
  listen(port: number, host = '0.0.0.0'): Promise<number> {
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (path === '/metrics' && this.metrics) return void this.serveMetrics(this.metrics, response);
      const [status, body] = path === '/healthz' ? [200, this.liveness()] : path === '/readyz' ? this.readiness() : [404, { error: 'not found: try /healthz or /readyz' }];
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(`${JSON.stringify(body)}\n`);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  private async serveMetrics(metrics: () => Promise<Registry>, response: import('node:http').ServerResponse): Promise<void> {
    try {
      const registry = await metrics();
      const body = await registry.metrics();
      response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      response.end(body);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`metrics failed: ${(error as Error).message}\n`);
    }
  }

  private liveness(): Record<string, unknown> {
    return { status: 'ok', pid: process.pid, uptimeMs: Date.now() - this.pool.startedAt, target: this.pool.target, processes: this.pool.children.size };
  }

  private readiness(): [number, Record<string, unknown>] {
    const ready = this.pool.ready.length;
    return [ready > 0 ? 200 : 503, {
      status: ready > 0 ? 'ready' : 'not ready',
      ready,
      target: this.pool.target,
      jobsByQueue: this.pool.jobsByQueue(),
      workers: [...this.pool.children].map((child) => child.describe()),
    }];
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
