// The CPU-heavy half of the demo's "render a document" job: draws a Mandelbrot thumbnail and
// encodes it as a real PNG (zlib + CRC, no image library), plus a one-page SVG cover. Rendering
// goes a band of rows at a time and yields between bands, so the job's AbortSignal (its timeout,
// or the worker shutting down) can stop it: a synchronous loop could not be interrupted at all.

import { crc32, deflateSync } from 'node:zlib';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export interface Thumbnail {
  png: Buffer;
  svg: string;
}

/** How much work a document is: more pages, more detail (iterations). */
export async function renderThumbnail(title: string, pages: number, signal: AbortSignal): Promise<Thumbnail> {
  const width = 480;
  const height = 320;
  const maxIter = 200 + 100 * Math.min(pages, 20);
  const pixels = Buffer.alloc(height * (1 + width * 3)); // each PNG row starts with a filter byte
  for (let y = 0; y < height; y++) {
    if (y % 16 === 0) {
      signal.throwIfAborted();
      await yieldToLoop();
    }
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      const n = escapeTime(-2.2 + (3 * x) / width, -1 + (2 * y) / height, maxIter);
      if (n === maxIter) continue; // inside the set: stays black (the buffer starts zeroed)
      const shade = Math.floor(255 * Math.sqrt(n / maxIter));
      pixels[row + 1 + x * 3] = shade;
      pixels[row + 2 + x * 3] = Math.floor(shade * 0.6);
      pixels[row + 3 + x * 3] = 255 - shade;
    }
  }
  return { png: encodePng(width, height, pixels), svg: coverSvg(title, pages) };
}

function escapeTime(cr: number, ci: number, maxIter: number): number {
  let zr = 0;
  let zi = 0;
  let n = 0;
  while (n < maxIter && zr * zr + zi * zi < 4) {
    const t = zr * zr - zi * zi + cr;
    zi = 2 * zr * zi + ci;
    zr = t;
    n++;
  }
  return n;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function encodePng(width: number, height: number, rows: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, default compression, filter, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function coverSvg(title: string, pages: number): string {
  const safe = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="595" height="842">
  <rect width="100%" height="100%" fill="#fdfcf7"/>
  <text x="60" y="120" font-size="32" font-family="serif">${safe}</text>
  <text x="60" y="160" font-size="16" font-family="sans-serif">${pages} page${pages === 1 ? '' : 's'}</text>
</svg>
`;
}
