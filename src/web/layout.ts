// The page shell: head with the dashboard's own assets (no CDN, no inline script or style), the
// navigation, the notice banner after an action, and a form helper that every mutation goes
// through so each carries the CSRF token and nothing is posted while readOnly.

import { html, type SafeHtml } from './html.ts';
import { href } from './format.ts';

export interface PageContext {
  readonly base: string;
  readonly token: string;
  readonly readOnly: boolean;
  readonly notice?: string;
  readonly assetVersion: string;
}

const TABS = [['', 'Overview'], ['queues', 'Queues'], ['failed', 'Failed'], ['scheduled', 'Scheduled'], ['schedules', 'Schedules'], ['workers', 'Workers'], ['job-metrics', 'Metrics']] as const;

export function layout(ctx: PageContext, tab: string, title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>${title} · errand</title>
<link rel="icon" href="${href(ctx.base, ['assets', 'icon.svg'], { v: ctx.assetVersion })}" type="image/svg+xml">
<link rel="stylesheet" href="${href(ctx.base, ['assets', 'app.css'], { v: ctx.assetVersion })}">
<script src="${href(ctx.base, ['assets', 'app.js'], { v: ctx.assetVersion })}" defer></script></head>
<body><header><a class="brand" href="${href(ctx.base, [])}">errand</a><nav>${TABS.map(([path, label]) =>
    html`<a href="${href(ctx.base, path ? [path] : [])}"${tab === path ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>${ctx.readOnly ? html`<span class="badge">read-only</span>` : ''}</header>
<main>${ctx.notice ? html`<p class="notice" role="status">${ctx.notice}</p>` : ''}<h1>${title}</h1>${body}</main></body></html>`;
}

/** A POST form with the token; nothing at all when the dashboard is read-only. */
export function action(ctx: PageContext, path: readonly (string | number)[], fields: Record<string, string | number | undefined>, label: string, style = ''): SafeHtml {
  if (ctx.readOnly) return html``;
  return html`<form method="post" action="${href(ctx.base, path)}" class="inline"><input type="hidden" name="_csrf" value="${ctx.token}">${Object.entries(fields).filter(([, v]) => v !== undefined).map(([name, value]) =>
    html`<input type="hidden" name="${name}" value="${String(value)}">`)}<button type="submit" class="${style}">${label}</button></form>`;
}

/** Previous/next links for a list shown `size` at a time. */
export function pager(ctx: PageContext, path: readonly string[], page: number, size: number, total: number, query: Record<string, string | undefined> = {}): SafeHtml {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) return html``;
  return html`<nav class="pager">${page > 0 ? html`<a href="${href(ctx.base, path, { ...query, page: page - 1 })}">← previous</a>` : ''}<span>page ${page + 1} of ${pages}</span>${page + 1 < pages ? html`<a href="${href(ctx.base, path, { ...query, page: page + 1 })}">next →</a>` : ''}</nav>`;
}
