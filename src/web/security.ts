// The dashboard's request checks: response headers every answer carries, the same-origin check
// and CSRF token every mutation needs, and constant-time comparison. Lifecycle: one Guard per
// dashboard, holding a per-process secret (or the one given, so several processes behind a load
// balancer accept each other's forms). Invariant: GET never mutates, so only POST is checked.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECURITY_HEADERS: Record<string, string> = {
  // No inline script or style anywhere: app.js and app.css come from the dashboard itself.
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Equal strings, in time that depends on their lengths only (HMACs first, so lengths match too). */
export function constantTimeEqual(a: string, b: string): boolean {
  const key = randomBytes(16);
  const ha = createHmac('sha256', key).update(a).digest();
  const hb = createHmac('sha256', key).update(b).digest();
  return timingSafeEqual(ha, hb);
}

export class Guard {
  readonly token: string;
  constructor(secret: string | undefined) {
    this.token = createHmac('sha256', secret ?? randomBytes(32).toString('hex')).update('errand dashboard csrf').digest('base64url');
  }

  /**
   * Why a mutation is refused, or undefined when it may go on: a browser says where a request
   * came from in Sec-Fetch-Site (trusted when present), else in Origin; a request with neither is
   * refused (a form post from a browser always carries one). The token then proves the form was
   * one this dashboard rendered.
   */
  refuse(request: Request, token: unknown): string | undefined {
    const site = request.headers.get('sec-fetch-site');
    const origin = request.headers.get('origin');
    if (site !== null) {
      if (site !== 'same-origin') return `a request from another site (Sec-Fetch-Site: ${site})`;
    } else if (origin !== null) {
      if (origin !== new URL(request.url).origin) return 'a request from another origin';
    } else {
      return 'a request that says neither Sec-Fetch-Site nor Origin';
    }
    if (typeof token !== 'string' || !constantTimeEqual(token, this.token)) return 'a form without this dashboard\'s token (reload the page)';
    return undefined;
  }
}
