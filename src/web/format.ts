// How the pages show numbers, times, payloads and links. Times go out as <time> elements in UTC
// (with UTC on hover); app.js rewrites their text to the viewer's zone and "3 min ago". Every
// URL is built by `href`, which encodes each path segment and query value.

import { html, type SafeHtml } from './html.ts';

/** 1234 -> "1.2k", 3400000 -> "3.4M". */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const abs = Math.abs(n);
  if (abs < 1000) return String(Math.round(n * 10) / 10);
  for (const [size, unit] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (abs >= size) return `${(n / size).toFixed(abs >= size * 100 ? 0 : 1).replace(/\.0$/, '')}${unit}`;
  }
  return String(n);
}

/** A time (epoch ms, or a date string a store kept) as a <time> app.js localizes; '-' when unknown. */
export function timeTag(at: number | string | undefined | null, relative = true): SafeHtml {
  if (at === undefined || at === null || at === '') return html`<span class="muted">-</span>`;
  // Resque's own formats: "2026/11/28 01:51:55 UTC" and "2026-11-28 01:51:55 +0000".
  const date = typeof at === 'number' ? new Date(at) : new Date(String(at).replace(/^(\d{4})\/(\d\d)\/(\d\d) (.*) UTC$/, '$1-$2-$3T$4Z').replace(/ \+0000$/, 'Z').replace(/^(\d{4}-\d\d-\d\d) /, '$1T'));
  if (Number.isNaN(date.getTime())) return html`<span>${String(at)}</span>`;
  const iso = date.toISOString();
  const utc = `${iso.slice(0, 19).replace('T', ' ')} UTC`;
  return html`<time datetime="${iso}" title="${utc}" data-relative="${relative ? '1' : '0'}">${utc}</time>`;
}

/** The dashboard's only URL builder: `base` + encoded segments + an encoded query. */
export function href(base: string, segments: readonly (string | number)[], query: Record<string, string | number | undefined> = {}): string {
  const path = `${base}/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`.replace(/\/+$/, '') || '/';
  const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '').map(([k, v]) => [k, String(v)]));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

/** A stored JSON string pretty-printed, or the text itself when it is not JSON. Capped for the page. */
export function pretty(text: string, limit = 200_000): string {
  let out: string;
  try {
    out = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    out = text;
  }
  return out.length > limit ? `${out.slice(0, limit)}\n… (${compact(out.length - limit)} more characters)` : out;
}

/** One line of a long text for a table cell. */
export function clip(text: unknown, limit = 120): string {
  const s = typeof text === 'string' ? text : text === undefined ? '' : JSON.stringify(text) ?? '';
  return s.length > limit ? `${s.slice(0, limit)}…` : s;
}

export function ageMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

// Forms name an entry by its position AND this digest (shared with the CLI's `N:digest`).
export { refOf } from '../admin/ref.ts';
