// The HTTP load generator of the http figure (request-figures.ts), in its own process so it does
// not share the server's event loop: `callers` loops, each on its own keep-alive connection,
// send GETs until `requests` were answered, then the rate goes back over IPC.
// Plain JavaScript, so it starts without tsx (a fork per system and round).
// Usage (forked): http-load.mjs <port> <requests> <callers>

import { Agent, request } from 'node:http';

const [port, requests, callers] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: callers });

/** @returns {Promise<boolean>} whether the request was answered with 200 */
function get() {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/enqueue', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function main() {
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: callers }, async () => {
    while (next++ < requests) if (!(await get())) errors++;
  }));
  const rate = (requests / (performance.now() - started)) * 1000;
  agent.destroy();
  process.send({ rate, errors });
  process.disconnect();
}

void main();
