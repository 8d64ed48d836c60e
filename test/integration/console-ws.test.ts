import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { App, us_listen_socket_close, us_socket_local_port, type us_listen_socket } from 'uws-pack';
import { loadConfig } from '../../engine/config.js';
import type { DashboardSnapshot } from '../../ui/api/contract.js';
import { AuthService } from '../../ui/server/auth/service.js';
import { WsHub } from '../../ui/server/ws-hub.js';
import { migratedTestDatabase } from '../support/database.js';
import { wsConnect, wsConnectLive } from '../support/ws-client.js';

// The WebSocket hub on a test uWS app: a client that stops reading gets a bounded buffer and, once it reads
// again, the latest state of each topic (intermediate states coalesced away).

const HIGH_WATER = 64 * 1024;
let pool: pg.Pool;
let auth: AuthService;
let hub: WsHub;
let listen: us_listen_socket;
let port = 0;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await migratedTestDatabase('ws'), max: 3 });
  auth = new AuthService(pool, { ...loadConfig({}).console, adminPassword: 'admin-password-1' });
  await auth.init();
  await auth.createUser('admin', 'watcher', 'watcher-password-1', 'viewer');
  hub = new WsHub(auth, { highWaterBytes: HIGH_WATER });
  const app = App();
  hub.install(app);
  listen = await new Promise<us_listen_socket>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen')))));
  port = us_socket_local_port(listen);
});

afterAll(async () => {
  hub?.closeAll();
  if (listen) us_listen_socket_close(listen);
  await pool?.end();
});

const big = (seq: number) => ({ seq, pad: 'x'.repeat(200_000) }) as unknown as DashboardSnapshot;

// retry: now and then uWS drops a fresh connection right after its open (see the report); not yet explained.
describe('WebSocket coalescing', { retry: 2 }, () => {
  it('keeps a non-reading client bounded and gives it the latest state when it reads again', async () => {
    const token = await auth.accessToken('watcher', 'viewer');
    const c = (await wsConnectLive(port, `/ws?access_token=${token}`)).client;
    c.send(JSON.stringify({ type: 'subscribe', topics: ['dashboard', 'data'] }));
    // Wait until the subscription is in place (a first state arrives).
    hub.publish('data', { dataVersion: 0 });
    await c.next((m) => (m as { topic?: string }).topic === 'data');

    c.socket.pause(); // the client stops reading
    const N = 300;
    let maxBuffered = 0;
    for (let i = 1; i <= N; i++) {
      hub.publish('dashboard', big(i));
      hub.publish('data', { dataVersion: i });
      if (i % 10 === 0) await new Promise((res) => setImmediate(res));
      const s = hub.stats();
      maxBuffered = Math.max(maxBuffered, ...s.buffered);
      expect(Math.max(...s.pending)).toBeLessThanOrEqual(2); // at most one pending state per topic
    }
    // 300 states of 200 kB were published (60 MB); the server holds its threshold plus one message at most.
    expect(maxBuffered).toBeLessThanOrEqual(HIGH_WATER + 210_000);
    expect(hub.stats().pending[0]).toBe(2);

    c.socket.resume(); // reads again: gets what was in flight, then the latest of each topic
    const last = (await c.next((m) => (m as { topic?: string; data?: { seq?: number } }).topic === 'dashboard' && (m as { data: { seq: number } }).data.seq === N, 30_000)) as { data: { seq: number } };
    expect(last.data.seq).toBe(N);
    await c.next((m) => (m as { topic?: string; data?: { dataVersion?: number } }).topic === 'data' && (m as { data: { dataVersion: number } }).data.dataVersion === N);
    const seqs = c.messages.map((m) => JSON.parse(m) as { topic?: string; data?: { seq?: number } }).filter((m) => m.topic === 'dashboard').map((m) => m.data!.seq!);
    expect(seqs.length).toBeLessThan(N / 2); // intermediate states were skipped
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs); // never out of order
    expect(hub.stats().pending[0]).toBe(0);
    c.close();
  }, 60_000);

  it('closes the socket with 4401 when the access token expires, and refuses a disabled user', async () => {
    const token = await auth.accessToken('watcher', 'viewer', 3);
    const r = await wsConnectLive(port, `/ws?access_token=${token}`);
    expect(await r.client.next((m) => (m as { type: string }).type === 'error', 5_000)).toMatchObject({ code: 'unauthorized', fatal: true });
    expect((await r.client.closed).code).toBe(4401);

    await auth.updateUser('admin', 'watcher', { disabled: true });
    const refused = await wsConnect(port, `/ws?access_token=${await auth.accessToken('watcher', 'viewer')}`);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it('refuses malformed client messages with an error naming the problem', async () => {
    await auth.updateUser('admin', 'watcher', { disabled: false });
    const r = await wsConnectLive(port, '/ws', [`bearer.${await auth.accessToken('watcher', 'viewer')}`]);
    r.client.send('{"type":"subscribe","topics":["dashboard"],"extra":1}');
    expect(await r.client.next((m) => (m as { type: string }).type === 'error')).toMatchObject({ message: 'unknown field "extra"' });
    r.client.send('{"type":"ping","id":7}');
    expect(await r.client.next((m) => (m as { type: string }).type === 'pong')).toEqual({ type: 'pong', id: 7 });
    r.client.close();
  });
});
