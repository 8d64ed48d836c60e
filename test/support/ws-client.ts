/**
 * A minimal WebSocket client over a raw TCP socket (Node 20 has no global WebSocket): the handshake, masked text
 * frames out, unmasked frames in. Raw on purpose: tests pause the socket to play a client that stops reading.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface WsTestClient {
  socket: net.Socket;
  /** The protocol the server chose (Sec-WebSocket-Protocol), '' if none. */
  protocol: string;
  messages: string[];
  closed: Promise<{ code: number; reason: string }>;
  send(text: string): void;
  /** Resolves with the first message (already received or coming) that matches. */
  next(match: (m: unknown) => boolean, timeoutMs?: number): Promise<unknown>;
  close(): void;
}

export type WsConnectResult = { ok: true; client: WsTestClient } | { ok: false; status: number; body: string };

export function wsConnect(port: number, path: string, protocols: string[] = []): Promise<WsConnectResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let refused: { status: number; bodyAt: number } | undefined;
    const messages: string[] = [];
    const waiters: { match: (m: unknown) => boolean; resolve: (m: unknown) => void }[] = [];
    let closeResolve!: (v: { code: number; reason: string }) => void;
    const closed = new Promise<{ code: number; reason: string }>((r) => (closeResolve = r));
    const frame = (opcode: number, payload: Buffer) => {
      const mask = randomBytes(4);
      const len = payload.length;
      const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255]) : (() => {
        const h = Buffer.alloc(10);
        h[0] = 0x80 | opcode;
        h[1] = 0x80 | 127;
        h.writeBigUInt64BE(BigInt(len), 2);
        return h;
      })();
      const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
      socket.write(Buffer.concat([head, mask, masked]));
    };
    const client: WsTestClient = {
      socket, protocol: '', messages, closed,
      send: (text) => frame(1, Buffer.from(text)),
      next: (match, timeoutMs = 10_000) => {
        for (const m of messages) {
          const v = JSON.parse(m) as unknown;
          if (match(v)) return Promise.resolve(v);
        }
        return new Promise((res, rej) => {
          const t = setTimeout(() => rej(new Error(`no matching WebSocket message in time; got: ${messages.join(' | ').slice(0, 500)}`)), timeoutMs);
          waiters.push({ match, resolve: (m) => { clearTimeout(t); res(m); } });
        });
      },
      close: () => {
        // The closing handshake: our close frame, the server's answer, then the TCP close.
        frame(8, Buffer.from([0x03, 0xe8]));
        const timer = setTimeout(() => socket.end(), 1000);
        timer.unref();
        void closed.then(() => {
          clearTimeout(timer);
          socket.end();
        });
      },
    };
    const parseFrames = () => {
      while (buf.length >= 2) {
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (opcode === 1) {
          const text = payload.toString('utf8');
          messages.push(text);
          const v = JSON.parse(text) as unknown;
          for (const w of [...waiters]) if (w.match(v)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(v); }
        } else if (opcode === 8) {
          closeResolve({ code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString('utf8') });
        } else if (opcode === 9) frame(10, Buffer.from(payload));
      }
    };
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const status = Number(head.split(' ')[1]);
        if (status !== 101) {
          // Refused: reported once the connection has closed (the server closes it; we do after 200 ms if not), with its body.
          if (!refused) {
            refused = { status, bodyAt: end + 4 };
            setTimeout(() => socket.end(), 200).unref();
          }
          return;
        }
        upgraded = true;
        client.protocol = /sec-websocket-protocol:\s*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? '';
        buf = buf.subarray(end + 4);
        resolve({ ok: true, client });
      }
      parseFrames();
    });
    socket.on('close', () => {
      if (refused) resolve({ ok: false, status: refused.status, body: buf.subarray(refused.bodyAt).toString('utf8') });
      closeResolve({ code: 1006, reason: 'socket closed' });
    });
    socket.on('error', (err) => (upgraded || refused ? undefined : reject(err)));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
        (protocols.length ? `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n` : '') + '\r\n',
    );
  });
}

/**
 * Connects, waits for the welcome, and makes sure the connection stays up. Known issue: now and then uWS
 * (uws-pack on Node 20) drops a fresh connection right after its open (the server's close handler sees 1006);
 * a browser reconnects, and so does this, once. Returns the client and the welcome message.
 */
export async function wsConnectLive(port: number, path: string, protocols: string[] = []): Promise<{ client: WsTestClient; welcome: unknown }> {
  for (let attempt = 1; ; attempt++) {
    const r = await wsConnect(port, path, protocols);
    if (!r.ok) throw new Error(`upgrade refused: ${r.status} ${r.body}`);
    const welcome = await r.client.next((m) => (m as { type: string }).type === 'welcome');
    const dropped = await Promise.race([r.client.closed.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 300))]);
    if (!dropped) return { client: r.client, welcome };
    if (attempt === 2) throw new Error('the server dropped two fresh WebSocket connections in a row');
  }
}
