// A stand-in for a slow third-party API (a weather service), served by the demo itself on
// 127.0.0.1 so the demo needs no network. It answers GET /weather?city=… after 300–700 ms, like
// a real API on a bad day; the city "Atlantis" never answers at all, to show a job `timeout`
// turning a hung call into a retry and then a failure you can inspect with `errand failed`.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowApi {
  readonly url: string;
  close(): Promise<void>;
}

export async function startSlowApi(): Promise<SlowApi> {
  const hung = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://api.local');
    const city = url.searchParams.get('city') ?? '';
    if (url.pathname !== '/weather' || !city) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"try /weather?city=Paris"}');
      return;
    }
    if (city.toLowerCase() === 'atlantis') {
      hung.add(res); // never answered; closed when the demo stops
      res.on('close', () => hung.delete(res));
      return;
    }
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(forecast(city)));
    }, 300 + Math.random() * 400);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A made-up but stable forecast: the same city always gets the same weather. */
function forecast(city: string) {
  let seed = 0;
  for (const ch of city.toLowerCase()) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  const kinds = ['sunny', 'cloudy', 'rain', 'windy', 'fog'];
  return { city, temperatureC: (seed % 35) - 5, sky: kinds[seed % kinds.length], observedAt: new Date().toISOString() };
}
