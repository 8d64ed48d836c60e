/**
 * The WebSocket to /ws: subscribes to the topics the open pages want, reconnects with backoff after any drop,
 * and after the server closes for an expired token (4401) refreshes the token first. The server keeps only the
 * latest state per topic, so a reconnect simply gets the current state again.
 */
import { useEffect, useState } from 'preact/hooks';
import { WS_CLOSE, type WsServerMessage, type WsTopic, type WsTopicData } from '../../api/contract.js';
import { accessToken, refreshSession } from './client.js';

export type LiveStatus = 'connecting' | 'open' | 'closed';
type Listener<K extends WsTopic> = (data: WsTopicData[K], at: string) => void;

class LiveSocket {
  private ws: WebSocket | undefined;
  private readonly listeners = new Map<WsTopic, Set<Listener<WsTopic>>>();
  private readonly latest = new Map<WsTopic, WsTopicData[WsTopic]>();
  private readonly statusListeners = new Set<(s: LiveStatus) => void>();
  private status: LiveStatus = 'closed';
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wanted = false;

  start(): void {
    this.wanted = true;
    if (!this.ws) void this.connect();
  }

  stop(): void {
    this.wanted = false;
    clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = undefined;
    this.latest.clear();
    this.setStatus('closed');
  }

  private async connect(): Promise<void> {
    const token = await accessToken();
    if (!this.wanted || !token) return;
    this.setStatus('connecting');
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws?access_token=${encodeURIComponent(token)}`);
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.setStatus('open');
      const topics = [...this.listeners.keys()];
      if (topics.length > 0) ws.send(JSON.stringify({ type: 'subscribe', topics }));
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.setStatus('closed');
      if (!this.wanted) return;
      const again = () => {
        this.timer = setTimeout(() => void this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 15_000);
      };
      if (e.code === WS_CLOSE.unauthorized) void refreshSession().then((ok) => (ok ? again() : undefined));
      else again();
    };
  }

  private receive(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let msg: WsServerMessage;
    try {
      msg = JSON.parse(raw) as WsServerMessage;
    } catch {
      return;
    }
    if (msg.type !== 'update') return;
    this.latest.set(msg.topic, msg.data);
    for (const l of this.listeners.get(msg.topic) ?? []) l(msg.data, msg.at);
  }

  subscribe<K extends WsTopic>(topic: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      this.listeners.set(topic, (set = new Set()));
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'subscribe', topics: [topic] }));
    }
    set.add(listener as Listener<WsTopic>);
    return () => {
      set.delete(listener as Listener<WsTopic>);
      if (set.size > 0) return;
      this.listeners.delete(topic);
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'unsubscribe', topics: [topic] }));
    };
  }

  last<K extends WsTopic>(topic: K): WsTopicData[K] | undefined {
    return this.latest.get(topic) as WsTopicData[K] | undefined;
  }

  onStatus(l: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(l);
    l(this.status);
    return () => this.statusListeners.delete(l);
  }

  private setStatus(s: LiveStatus): void {
    this.status = s;
    this.statusListeners.forEach((l) => l(s));
  }
}

export const live = new LiveSocket();

/** The latest state of a topic (undefined until the first update); re-renders on each update. */
export function useTopic<K extends WsTopic>(topic: K, onUpdate?: Listener<K>): WsTopicData[K] | undefined {
  const [data, setData] = useState<WsTopicData[K] | undefined>(() => live.last(topic));
  useEffect(
    () =>
      live.subscribe(topic, (d, at) => {
        setData(d);
        onUpdate?.(d, at);
      }),
    [topic],
  );
  return data;
}

export function useLiveStatus(): LiveStatus {
  const [s, setS] = useState<LiveStatus>('closed');
  useEffect(() => live.onStatus(setS), []);
  return s;
}
