/**
 * The console's WebSocket: authenticated on upgrade (token in `?access_token=` or the `bearer.<token>`
 * subprotocol), per-client topic subscriptions, and coalescing for slow clients: when a socket's send buffer is
 * above a threshold, an update is not sent but kept as that topic's pending state, replacing any older pending
 * one, and flushed on drain. So a client that does not read holds at most the buffer threshold plus one latest
 * state per topic, never a growing backlog; it skips intermediate states and ends with the latest.
 *
 * A socket outlives the request that authenticated it, so its user is checked again: on every subscribe, every
 * `recheckMs` for all sockets, and at once when the user is changed through this engine's AuthService. A user
 * disabled or removed (or whose token stopped verifying) gets a fatal error and close 4401; one whose role fell
 * below the feed's gets 4403; a changed role is taken over.
 */
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_socket_context_t } from 'uws-pack';
import { ENDPOINT_ROLES, WS_CLOSE, WS_TOPICS, type Me, type WsClientMessage, type WsServerMessage, type WsTopic, type WsTopicData } from '../api/contract.js';
import type { AuthService } from './auth/service.js';
import { ApiError, roleAtLeast, writeError } from './http.js';
import { log } from '../../engine/log.js';
import type { HttpContext } from '../../engine/http/http-server.js';
import { PLAIN_HTTP_HEADERS, type SecurityHeaders } from '../../engine/http/security-headers.js';

interface Client {
  user: Me;
  /** The access token the socket was opened with: re-verified (with its user) at every check. */
  token: string;
  /** Messages are handled one after another (a subscribe waits for its check). */
  queue: Promise<void>;
  expiresAtMs: number;
  topics: Set<WsTopic>;
  /** Latest unsent message per topic while the socket is backed up. */
  pending: Map<WsTopic, string>;
  expiry?: NodeJS.Timeout;
  open: boolean;
}

export interface WsHubOptions {
  /** Above this many buffered bytes a socket gets no new sends; updates wait (coalesced) for drain. */
  highWaterBytes: number;
  /** How often every socket's user is checked again (default 30 s; SWAPREP_WS_RECHECK_S). */
  recheckMs?: number | undefined;
}

export const DEFAULT_WS_HUB: WsHubOptions = { highWaterBytes: 256 * 1024, recheckMs: 30_000 };
const PROTOCOL = 'swaprep.v1';
const NEEDED = ENDPOINT_ROLES['WS /ws'];

export class WsHub {
  private readonly clients = new Set<WebSocket<Client>>();
  /** Last message per topic: sent to a client when it subscribes, and used to skip unchanged updates. */
  private readonly latest = new Map<WsTopic, { data: string; msg: string }>();
  private recheckTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly auth: AuthService, private readonly options: WsHubOptions = DEFAULT_WS_HUB) {
    this.unsubscribe = auth.onUserChange((username) => {
      for (const ws of this.clients) if (ws.getUserData().user.username === username) this.check(ws);
    });
  }

  install(app: TemplatedApp, http?: HttpContext): void {
    const security = http?.headers ?? PLAIN_HTTP_HEADERS;
    if (!this.recheckTimer) {
      this.recheckTimer = setInterval(() => {
        for (const ws of this.clients) this.check(ws);
      }, this.options.recheckMs ?? DEFAULT_WS_HUB.recheckMs!);
      this.recheckTimer.unref();
    }
    app.ws<Client>('/ws', {
      maxPayloadLength: 16 * 1024,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      // Our own high-water mark keeps sockets well under this; uWS drops (never buffers without bound) past it.
      maxBackpressure: 16 * 1024 * 1024,
      closeOnBackpressureLimit: true,
      upgrade: (res, req, context) => this.upgrade(res, req, context, security),
      open: (ws) => this.opened(ws),
      message: (ws, message) => this.received(ws, Buffer.from(message).toString('utf8')),
      drain: (ws) => this.flush(ws),
      close: (ws) => {
        const c = ws.getUserData();
        c.open = false;
        if (c.expiry) clearTimeout(c.expiry);
        this.clients.delete(ws);
      },
    });
  }

  /** Sends a topic's new state to its subscribers, unless it is the same as the last one. */
  publish<K extends WsTopic>(topic: K, data: WsTopicData[K]): void {
    const dataJson = JSON.stringify(data);
    const prev = this.latest.get(topic);
    // The dashboard always carries a new `at`; other topics are skipped when nothing changed.
    if (prev && prev.data === dataJson) return;
    const msg = JSON.stringify({ type: "update", topic, data, at: new Date().toISOString() } as WsServerMessage);
    this.latest.set(topic, { data: dataJson, msg });
    for (const ws of this.clients) {
      const c = ws.getUserData();
      if (c.topics.has(topic)) this.deliver(ws, c, topic, msg);
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** For tests and the dashboard: bytes buffered and pending topics per client. */
  stats(): { clients: number; buffered: number[]; pending: number[] } {
    const list = [...this.clients];
    return { clients: list.length, buffered: list.map((ws) => ws.getBufferedAmount()), pending: list.map((ws) => ws.getUserData().pending.size) };
  }

  closeAll(): void {
    clearInterval(this.recheckTimer);
    this.recheckTimer = undefined;
    this.unsubscribe();
    for (const ws of [...this.clients]) ws.end(1001, 'server stopping');
  }

  /**
   * Checks a socket's user again, queued behind its messages; closes the socket when it may no longer be open, else
   * runs `then` (still in the queue, so what the client sends next waits for it).
   */
  private check(ws: WebSocket<Client>, then?: () => void): void {
    this.enqueue(ws.getUserData(), async (c) => {
      if (await this.recheck(ws, c)) then?.();
    });
  }

  private enqueue(c: Client, step: (c: Client) => void | Promise<void>): void {
    c.queue = c.queue.then(() => step(c)).catch((err: unknown) => {
      log('warn', `console: WebSocket of ${c.user.username}: ${(err as Error).message}`);
    });
  }

  private async recheck(ws: WebSocket<Client>, c: Client): Promise<boolean> {
    if (!c.open) return false;
    let user: Me;
    try {
      ({ user } = await this.auth.authenticate(c.token));
    } catch (err) {
      if (!c.open) return false;
      if (err instanceof ApiError && (err.code === 'unauthorized' || err.code === 'forbidden')) {
        this.refuse(ws, c, err.code, err.message);
        return false;
      }
      // The database did not answer, say: the socket stays, and the next check decides.
      log('warn', `console: WebSocket check of ${c.user.username} failed: ${(err as Error).message}`);
      return true;
    }
    if (!c.open) return false;
    if (user.mustChangePassword) {
      this.refuse(ws, c, 'forbidden', `${user.username} must change their password first`);
      return false;
    }
    if (!roleAtLeast(user.role, NEEDED)) {
      this.refuse(ws, c, 'forbidden', `role ${user.role} may not use the live feed`);
      return false;
    }
    c.user = user;
    return true;
  }

  private refuse(ws: WebSocket<Client>, c: Client, code: 'unauthorized' | 'forbidden', message: string): void {
    if (!c.open) return;
    ws.send(JSON.stringify({ type: 'error', code, message, fatal: true } satisfies WsServerMessage));
    // A close reason may hold 123 bytes at most; the message itself went in the error above.
    ws.end(code === 'unauthorized' ? WS_CLOSE.unauthorized : WS_CLOSE.forbidden, code);
  }

  private upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t, security: SecurityHeaders): void {
    const key = req.getHeader('sec-websocket-key');
    const protocols = req.getHeader('sec-websocket-protocol').split(',').map((p) => p.trim()).filter(Boolean);
    const extensions = req.getHeader('sec-websocket-extensions');
    const query = new URLSearchParams(req.getQuery() ?? '');
    const token = query.get('access_token') ?? protocols.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length) ?? '';
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    this.auth.authenticate(token).then(
      ({ user, expiresAtMs }) => {
        if (aborted) return;
        if (user.mustChangePassword) throw new ApiError('password_change_required', `${user.username} must change their password before using the live feed`);
        if (!roleAtLeast(user.role, NEEDED)) throw new ApiError('forbidden', `role ${user.role} may not use the live feed`);
        const client: Client = { user, token, queue: Promise.resolve(), expiresAtMs, topics: new Set(), pending: new Map(), open: false };
        res.cork(() => res.upgrade(client, key, protocols.includes(PROTOCOL) ? PROTOCOL : protocols[0] ?? '', extensions, context));
      },
    ).catch((err: unknown) => {
      if (aborted) return;
      const e = err instanceof ApiError ? err : new ApiError('internal', (err as Error).message);
      writeError(res, e, security, true); // refused upgrade: close the connection
    });
  }

  private opened(ws: WebSocket<Client>): void {
    const c = ws.getUserData();
    c.open = true;
    this.clients.add(ws);
    ws.send(JSON.stringify({ type: 'welcome', user: c.user, topics: WS_TOPICS } satisfies WsServerMessage));
    // The token's expiry ends the socket (at once if it expired while upgrading): the client reconnects with a fresh token.
    const expire = () => {
      if (!c.open) return;
      ws.send(JSON.stringify({ type: 'error', code: 'unauthorized', message: 'access token expired; reconnect with a fresh one', fatal: true } satisfies WsServerMessage));
      ws.end(WS_CLOSE.unauthorized, 'token expired');
    };
    const left = c.expiresAtMs - Date.now();
    if (left <= 0) return expire();
    if (left < 2 ** 31) {
      c.expiry = setTimeout(expire, left);
      c.expiry.unref();
    }
  }

  private received(ws: WebSocket<Client>, text: string): void {
    const c = ws.getUserData();
    const reply = (m: WsServerMessage) => ws.send(JSON.stringify(m));
    let msg: WsClientMessage;
    try {
      msg = parseClientMessage(text);
    } catch (err) {
      return void reply({ type: 'error', code: 'bad_request', message: (err as Error).message });
    }
    if (msg.type === 'ping') {
      // Behind whatever is queued, so a ping's pong also says the messages before it were handled.
      const pong: WsServerMessage = msg.id === undefined ? { type: 'pong' } : { type: 'pong', id: msg.id };
      return this.enqueue(c, () => {
        if (c.open) reply(pong);
      });
    }
    // A new subscription is a new request for data: the user is checked first.
    if (msg.type === 'subscribe') return this.check(ws, () => this.apply(ws, c, msg));
    this.enqueue(c, () => this.apply(ws, c, msg));
  }

  private apply(ws: WebSocket<Client>, c: Client, msg: Exclude<WsClientMessage, { type: 'ping' }>): void {
    if (!c.open) return;
    for (const t of msg.topics) {
      if (msg.type === 'unsubscribe') {
        c.topics.delete(t);
        c.pending.delete(t);
        continue;
      }
      c.topics.add(t);
      const last = this.latest.get(t);
      if (last) this.deliver(ws, c, t, last.msg);
    }
  }

  private deliver(ws: WebSocket<Client>, c: Client, topic: WsTopic, msg: string): void {
    if (!c.open) return;
    if (c.pending.size > 0 || ws.getBufferedAmount() > this.options.highWaterBytes) {
      c.pending.delete(topic); // re-inserted last: pending flushes in the order states arrived
      c.pending.set(topic, msg);
      return;
    }
    ws.send(msg);
  }

  private flush(ws: WebSocket<Client>): void {
    const c = ws.getUserData();
    for (const [topic, msg] of c.pending) {
      if (ws.getBufferedAmount() > this.options.highWaterBytes) return;
      c.pending.delete(topic);
      ws.send(msg);
    }
  }
}

/** Client messages, checked strictly (a hand-written check: three tiny shapes). */
export function parseClientMessage(text: string): WsClientMessage {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('message is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('message must be a JSON object');
  const o = v as Record<string, unknown>;
  if (o.type === 'ping') {
    for (const k of Object.keys(o)) if (k !== 'type' && k !== 'id') throw new Error(`unknown field "${k}"`);
    if (o.id !== undefined && typeof o.id !== 'number') throw new Error('field "id" must be a number');
    return o.id === undefined ? { type: 'ping' } : { type: 'ping', id: o.id as number };
  }
  if (o.type !== 'subscribe' && o.type !== 'unsubscribe') throw new Error(`field "type" must be subscribe, unsubscribe or ping`);
  for (const k of Object.keys(o)) if (k !== 'type' && k !== 'topics') throw new Error(`unknown field "${k}"`);
  if (!Array.isArray(o.topics)) throw new Error('field "topics" must be an array of topics');
  for (const t of o.topics) if (!(WS_TOPICS as readonly unknown[]).includes(t)) throw new Error(`unknown topic ${JSON.stringify(t)} (topics: ${WS_TOPICS.join(', ')})`);
  return { type: o.type, topics: o.topics as WsTopic[] };
}
