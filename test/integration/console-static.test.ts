import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useTestEngine } from '../support/engine.js';

// The console's static files from the engine's HTTP port (ui/server/static.ts over the bundle that
// `npm run build` writes to dist/ui/web): content types, caching, deep links, and what is never the app.

const t = useTestEngine();
const get = (path: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${t.engine.httpPort}${path}`, { headers });

async function appAsset(ext: 'js' | 'css'): Promise<string> {
  const html = await (await get('/')).text();
  const m = new RegExp(`/assets/app-[A-Z0-9]+\\.${ext}`).exec(html);
  if (!m) throw new Error(`index.html names no app .${ext}: ${html}`);
  return m[0];
}

describe('console static files', () => {
  it('answers index.html, uncached, with a content security policy, for / and for any deep link', async () => {
    for (const path of ['/', '/trades/5493001KJTIIGC8Y1R12T1', '/exceptions/12/correct', '/search?q=status:nacked']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await r.text()).toMatch(/<script type="module" src="\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
    }
  });

  it('serves the hashed bundle for a year, gzipped when asked, and 304 for a known ETag', async () => {
    const js = await appAsset('js');
    const plain = await get(js, { 'accept-encoding': 'identity' });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = Buffer.from(await plain.arrayBuffer());
    // A browser bundle: the engine's rulebook is in it, nothing that needs Node.
    expect(body.toString()).toContain('FMT-LEI-CHECKSUM');
    expect(body.toString()).not.toMatch(/from\s*"node:|require\("(fs|path|node:)/);

    const css = await appAsset('css');
    expect((await get(css)).headers.get('content-type')).toBe('text/css; charset=utf-8');

    // fetch() would decompress silently; node:http shows the wire.
    const { request } = await import('node:http');
    const gz = await new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
      request({ host: '127.0.0.1', port: t.engine.httpPort, path: js, headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    expect(gz.encoding).toBe('gzip');
    expect(gz.bytes.length).toBeLessThan(body.length);
    expect(gunzipSync(gz.bytes).equals(body)).toBe(true);

    const etag = plain.headers.get('etag')!;
    const again = await get(js, { 'if-none-match': etag });
    expect(again.status).toBe(304);
  });

  it('answers the app with 404 for a path outside its sections, so a browser shows its not-found page', async () => {
    const r = await get('/no-such-page');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await r.text()).toContain('/assets/app-');
  });

  it('never answers the app for a missing file or a server path', async () => {
    for (const path of ['/assets/app-MISSING.js', '/favicon.ico', '/api/no-such-endpoint', '/auth/nothing', '/ws/x']) {
      const r = await get(path);
      expect(r.status, path).not.toBe(200);
      expect(r.headers.get('content-type') ?? '', path).not.toContain('text/html');
    }
    expect((await get('/healthz')).status).toBe(200);
  });
});
