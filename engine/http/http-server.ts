import { App, us_listen_socket_close, us_socket_local_port, type HttpResponse, type TemplatedApp, type us_listen_socket } from 'uws-pack';
import type { Metrics } from '../metrics.js';

export interface HttpServerDeps {
  metrics: Metrics;
  /** Whether the engine can take traffic (database reachable, listeners up). */
  health: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>;
  /** Further routes (the console's API, UI and WebSocket) installed before the catch-all 404. */
  routes?: ((app: TemplatedApp) => void)[];
}

/** The operations endpoint on uWebSockets.js (npm uws-pack): GET /healthz and GET /metrics. */
export async function listenHttp(host: string, port: number, deps: HttpServerDeps): Promise<{ port: number; close(): void }> {
  const app = App()
    .get('/healthz', (res) => {
      respondAsync(res, async () => {
        const h = await deps.health();
        return { status: h.ok ? '200 OK' : '503 Service Unavailable', type: 'application/json', body: JSON.stringify({ ok: h.ok, ...h.detail }) };
      });
    })
    .get('/metrics', (res) => {
      respondAsync(res, async () => ({ status: '200 OK', type: deps.metrics.registry.contentType, body: await deps.metrics.registry.metrics() }));
    });
  for (const install of deps.routes ?? []) install(app);
  app.any('/*', (res, req) => {
    res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain').end(`no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}\n`);
  });
  const socket = await new Promise<us_listen_socket>((resolve, reject) =>
    app.listen(host, port, (s) => (s ? resolve(s) : reject(new Error(`cannot listen for HTTP on ${host}:${port}`)))),
  );
  return { port: us_socket_local_port(socket), close: () => us_listen_socket_close(socket) };
}

/** uWS responses must know when the client went away before an async answer is written. */
export function respondAsync(res: HttpResponse, produce: () => Promise<{ status: string; type: string; body: string }>): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  produce().then(
    (r) => {
      if (!aborted) res.cork(() => res.writeStatus(r.status).writeHeader('content-type', r.type).end(r.body));
    },
    (err: unknown) => {
      if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').writeHeader('content-type', 'text/plain').end(String(err)));
    },
  );
}
