/**
 * Serves the built console (dist/ui/web, made by `npm run build`) from the engine's HTTP server:
 * - /assets/* : content-hashed bundle files, cached for a year (`immutable`): a new build has new names;
 * - index.html for `/` and for every other GET that is not an API, auth, WebSocket or operations path, so a
 *   deep link such as /trades/UTI123 loads the app, which then routes in the browser; `no-cache` so a new
 *   build is picked up at once.
 * Files are read once when the routes are installed (the bundle is a few hundred KiB) and kept gzipped too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uws-pack';
import { projectRoot } from '../../engine/project-root.js';
import type { HttpContext } from '../../engine/http/http-server.js';
import { PLAIN_HTTP_HEADERS, type SecurityHeaders } from '../../engine/http/security-headers.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * The app's top-level sections (kept in step with the route table in ui/web/router.ts): a deep link into one of
 * them gets index.html with 200. Any other path gets index.html with 404, so a browser still shows the app's own
 * "not found" page while a client or monitor sees the true status.
 */
const APP_SECTIONS = new Set(['', 'login', 'search', 'trades', 'exceptions', 'review', 'corrections', 'reports', 'submissions', 'alerts', 'sources', 'models', 'users']);

/** Paths that belong to the server, never to the app: an unknown one is a 404 from the catch-all, not index.html. */
const SERVER_PREFIXES = ['/api/', '/api', '/auth/', '/ws', '/healthz', '/metrics'];

interface StaticFile {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  etag: string;
  cache: string;
}

function load(path: string, cache: string): StaticFile {
  const body = readFileSync(path);
  const type = TYPES[extname(path)] ?? 'application/octet-stream';
  // Text compresses well; images and fonts are already compressed.
  const gzip = /^(text|application\/json|image\/svg)/.test(type) && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined;
  return { body, gzip, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, cache };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** A file with the page's security headers (engine/http/security-headers.ts: the console's CSP). */
function send(res: HttpResponse, req: HttpRequest, security: SecurityHeaders, f: StaticFile, status = '200 OK'): void {
  const inm = req.getHeader('if-none-match');
  const gz = f.gzip !== undefined && /\bgzip\b/.test(req.getHeader('accept-encoding'));
  res.cork(() => {
    if (inm === f.etag && status === '200 OK') {
      security.write(res.writeStatus('304 Not Modified'), 'page').writeHeader('etag', f.etag).writeHeader('cache-control', f.cache).end();
      return;
    }
    security.write(res.writeStatus(status), 'page');
    res.writeHeader('content-type', f.type).writeHeader('cache-control', f.cache).writeHeader('etag', f.etag).writeHeader('vary', 'accept-encoding');
    if (gz) res.writeHeader('content-encoding', 'gzip');
    res.end(gz ? f.gzip! : f.body);
  });
}

/** Installs GET routes for the console; `dir` defaults to dist/ui/web under the project root. */
export function staticRoutes(opts: { dir?: string } = {}): (app: TemplatedApp, http?: HttpContext) => void {
  const dir = opts.dir ?? join(projectRoot(), 'dist/ui/web');
  return (app, http) => {
    const security = http?.headers ?? PLAIN_HTTP_HEADERS;
    if (!existsSync(join(dir, 'index.html'))) {
      // The engine still runs without the console (e.g. built with tsc alone); say how to get it.
      app.get('/', (res) => {
        security.write(res.writeStatus('503 Service Unavailable'), 'api').writeHeader('content-type', 'text/plain; charset=utf-8')
          .end(`the console is not built: run \`npm run build\` (looked in ${dir})\n`);
      });
      return;
    }
    const files = new Map<string, StaticFile>();
    for (const p of walk(dir)) {
      const url = '/' + relative(dir, p).split(sep).join('/');
      files.set(url, load(p, url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'));
    }
    const index = files.get('/index.html')!;
    app.get('/*', (res, req) => {
      const url = req.getUrl();
      const file = files.get(url);
      if (file) return send(res, req, security, file);
      const isServerPath = SERVER_PREFIXES.some((p) => url === p || url.startsWith(p.endsWith('/') ? p : `${p}/`));
      // A missing asset (a name with an extension) is a 404, not the app: a stale page must not get HTML as script.
      if (isServerPath || url.startsWith('/assets/') || extname(url) !== '') {
        security.write(res.writeStatus('404 Not Found'), 'api').writeHeader('content-type', 'text/plain').end(`no route for GET ${url}\n`);
        return;
      }
      send(res, req, security, index, APP_SECTIONS.has(url.split('/')[1] ?? '') ? '200 OK' : '404 Not Found');
    });
  };
}
