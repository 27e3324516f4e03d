// The HTTP load generator of the http figure (request-figures.ts), in its own process so it does
// not share the server's event loop: `callers` loops, each on its own keep-alive connection,
// send GETs until `requests` were answered, then the rate goes back over IPC.
// Usage (forked): http-load.ts <port> <requests> <callers>

import { Agent, request } from 'node:http';

const [port, requests, callers] = process.argv.slice(2).map(Number) as [number, number, number];
const agent = new Agent({ keepAlive: true, maxSockets: callers });

function get(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/enqueue', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function main(): Promise<void> {
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: callers }, async () => {
    while (next++ < requests) if (!(await get())) errors++;
  }));
  const rate = (requests / (performance.now() - started)) * 1000;
  agent.destroy();
  process.send!({ rate, errors });
  process.disconnect();
}

void main();
