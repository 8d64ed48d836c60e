/**
 * The security headers every response of the engine's HTTP server carries. uWebSockets.js has no middleware, so
 * each writer calls `write` right after `writeStatus`; the set is built once per server (HSTS only over TLS).
 *
 * - `page`: the console's HTML and bundle. Its Content-Security-Policy allows this origin only: scripts from
 *   /assets plus 'unsafe-eval', because the browser compiles the engine's rulebook into functions (new Function,
 *   engine/rules/gen.ts) to validate a correction as it is typed; styles from /assets only (preact and uPlot set
 *   styles through the CSSOM, which CSP allows; the browser tests fail on any refusal); images from here or data:
 *   (the favicon); fetch and the WebSocket to this origin; no framing, no <base>, no plugins.
 * - `api`: JSON, metrics, health, errors: nothing may load from them (default-src 'none') and no browser or proxy
 *   may keep them (Cache-Control: no-store).
 */
import type { HttpResponse } from 'uws-pack';

export type ResponseKind = 'api' | 'page';

export interface SecurityHeaderOptions {
  /** Strict-Transport-Security max-age in seconds when the server speaks TLS; undefined: no HSTS (plain HTTP). */
  hstsMaxAgeS?: number | undefined;
}

export const PAGE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

export class SecurityHeaders {
  private readonly sets: Record<ResponseKind, readonly (readonly [string, string])[]>;

  constructor(options: SecurityHeaderOptions = {}) {
    const common: [string, string][] = [
      ['x-content-type-options', 'nosniff'],
      ['x-frame-options', 'DENY'],
      ['referrer-policy', 'no-referrer'],
      ['cross-origin-opener-policy', 'same-origin'],
    ];
    // HSTS over plain HTTP is ignored by browsers, and would be wrong to promise.
    if (options.hstsMaxAgeS !== undefined && options.hstsMaxAgeS > 0) common.push(['strict-transport-security', `max-age=${options.hstsMaxAgeS}`]);
    this.sets = {
      page: [['content-security-policy', PAGE_CSP], ...common],
      api: [['content-security-policy', API_CSP], ['cache-control', 'no-store'], ...common],
    };
  }

  /** The headers of `kind`, for a writer that is not a uWS response (or for tests). */
  list(kind: ResponseKind): readonly (readonly [string, string])[] {
    return this.sets[kind];
  }

  /** Writes the headers of `kind`; call right after writeStatus (inside the response's cork). */
  write(res: HttpResponse, kind: ResponseKind): HttpResponse {
    for (const [k, v] of this.sets[kind]) res.writeHeader(k, v);
    return res;
  }
}

/** The headers of a plain-HTTP server: what a route installer uses when it is given none. */
export const PLAIN_HTTP_HEADERS = new SecurityHeaders();
