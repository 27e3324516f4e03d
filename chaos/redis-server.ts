// A private redis-server for the chaos suite and the outage tests: a free port, its own temp
// directory, optional AOF (appendonly yes, appendfsync always). kill() is a SIGKILL of that
// server alone; start() again brings it back on the same port and directory (and data, with AOF).
// Using a private server lets the chaos loop cut every client connection without touching
// anyone else's Redis.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export class RedisServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'errand-redis-'));
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number, private readonly aof: boolean) {}

  static async start(options: { aof?: boolean } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.aof ?? false);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the server (again) and resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.child) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no',
      '--appendonly', this.aof ? 'yes' : 'no', '--appendfsync', 'always', '--logfile', join(this.dir, 'redis.log')];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    const deadline = Date.now() + 10_000;
    try {
      for (;;) {
        try {
          if (probe.status !== 'ready') await probe.connect();
          // While an AOF loads, Redis answers LOADING: wait for a real PONG.
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          probe.disconnect();
        }
        if (!this.child) throw new Error(`redis-server on port ${this.port} exited at start (see ${join(this.dir, 'redis.log')})`);
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer PING within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      probe.disconnect();
    }
  }

  /** SIGKILL: no shutdown save, clients see their connections drop. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
