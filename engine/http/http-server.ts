import { createHash, timingSafeEqual } from 'node:crypto';
import { App, SSLApp, us_listen_socket_close, us_socket_local_port, type HttpResponse, type TemplatedApp, type us_listen_socket } from 'uws-pack';
import type { Metrics } from '../metrics.js';
import { PLAIN_HTTP_HEADERS, SecurityHeaders } from './security-headers.js';

/** What a route installer is told of the server it installs on. */
export interface HttpContext {
  /** The security headers every response writes (HSTS among them when the server speaks TLS). */
  headers: SecurityHeaders;
  tls: boolean;
}

export interface HttpServerDeps {
  metrics: Metrics;
  /** Whether the engine can take traffic (database reachable, listeners up). */
  health: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>;
  /** Further routes (the console's API, UI and WebSocket) installed before the catch-all 404. */
  routes?: ((app: TemplatedApp, http: HttpContext) => void)[];
  /** PEM certificate (chain) and key files: the server speaks HTTPS (and WSS) only. */
  tls?: { certFile: string; keyFile: string } | undefined;
  /** Strict-Transport-Security max-age over TLS (seconds; 0: none). */
  hstsMaxAgeS?: number | undefined;
  /** When set, GET /metrics answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string | undefined;
}

export class HttpListenError extends Error {
  readonly code = 'HTTP_LISTEN_FAILED';
}

/** The operations endpoint on uWebSockets.js (npm uws-pack): GET /healthz and GET /metrics, then the routes given. */
export async function listenHttp(host: string, port: number, deps: HttpServerDeps): Promise<{ port: number; close(): void }> {
  const tls = deps.tls !== undefined;
  const headers = new SecurityHeaders({ hstsMaxAgeS: tls ? deps.hstsMaxAgeS : undefined });
  const context: HttpContext = { headers, tls };
  const metricsAllowed = deps.metricsToken ? bearerCheck(deps.metricsToken) : () => true;
  const app = deps.tls ? sslApp(deps.tls) : App();
  app
    .get('/healthz', (res) => {
      respondAsync(res, async () => {
        const h = await deps.health();
        return { status: h.ok ? '200 OK' : '503 Service Unavailable', type: 'application/json', body: JSON.stringify({ ok: h.ok, ...h.detail }) };
      }, headers);
    })
    .get('/metrics', (res, req) => {
      if (!metricsAllowed(req.getHeader('authorization'))) {
        res.cork(() => {
          headers.write(res.writeStatus('401 Unauthorized'), 'api').writeHeader('www-authenticate', 'Bearer realm="metrics"').writeHeader('content-type', 'text/plain')
            .end('/metrics needs Authorization: Bearer <SWAPREP_METRICS_TOKEN>\n');
        });
        return;
      }
      respondAsync(res, async () => ({ status: '200 OK', type: deps.metrics.registry.contentType, body: await deps.metrics.registry.metrics() }), headers);
    });
  for (const install of deps.routes ?? []) install(app, context);
  app.any('/*', (res, req) => {
    headers.write(res.writeStatus('404 Not Found'), 'api').writeHeader('content-type', 'text/plain').end(`no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}\n`);
  });
  const socket = await new Promise<us_listen_socket>((resolve, reject) =>
    app.listen(host, port, (s) => (s ? resolve(s) : reject(new HttpListenError(`cannot listen for HTTP${tls ? 'S' : ''} on ${host}:${port}`)))),
  );
  return { port: us_socket_local_port(socket), close: () => us_listen_socket_close(socket) };
}

/** uWS says only "App construction failed" when the certificate or key does not load: name them. */
function sslApp(tls: { certFile: string; keyFile: string }): TemplatedApp {
  try {
    return SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile });
  } catch (err) {
    throw new HttpListenError(`HTTPS: the certificate ${tls.certFile} or the key ${tls.keyFile} does not load as PEM (SWAPREP_HTTP_TLS_CERT, SWAPREP_HTTP_TLS_KEY): ${(err as Error).message}`);
  }
}

/** A constant-time check of `Authorization: Bearer <token>` (digests compared, so the length does not tell either). */
function bearerCheck(token: string): (authorization: string) => boolean {
  const want = createHash('sha256').update(token).digest();
  return (authorization) => {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return m !== null && timingSafeEqual(createHash('sha256').update(m[1]!).digest(), want);
  };
}

/** uWS responses must know when the client went away before an async answer is written. */
export function respondAsync(res: HttpResponse, produce: () => Promise<{ status: string; type: string; body: string }>, headers: SecurityHeaders = PLAIN_HTTP_HEADERS): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  produce().then(
    (r) => {
      if (!aborted) res.cork(() => headers.write(res.writeStatus(r.status), 'api').writeHeader('content-type', r.type).end(r.body));
    },
    (err: unknown) => {
      if (!aborted) res.cork(() => headers.write(res.writeStatus('500 Internal Server Error'), 'api').writeHeader('content-type', 'text/plain').end(String(err)));
    },
  );
}
