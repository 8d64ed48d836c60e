/**
 * HTTPS API channel: one POST per batch (JSON), outcomes in the response or, when the repository answers
 * 202, by polling GET /v1/batches/{id}. node:http/https directly: one small request shape, keep-alive
 * agents, and full control of timeouts (a hung repository must surface as a TransportError, not a hang).
 * Plain http: only to a loopback address (a local simulator), where the bearer token never leaves the machine;
 * a CA bundle and a client certificate (mutual TLS) come from the configuration, and a response body larger
 * than maxResponseBytes is refused before it is all read.
 */
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { Channel, HttpsRepositoryConfig, OutboundBatch, PolledAnswer, SendResult } from '../types.js';
import { PermanentError, TransportError } from '../types.js';
import { outcomesOf } from '../wire.js';
import { batchRequestBody } from '../batch-body.js';
import { log } from '../../log.js';

interface HttpAnswer {
  status: number;
  body: string;
}

/** An http: URL to a host that is not this machine: the batches and the bearer token would cross a network in clear. */
export class InsecureUrlError extends Error {
  override readonly name = 'InsecureUrlError';
  readonly code = 'INSECURE_URL';
}

/** A response body over the cap; a resend would get the same answer, so the batch is not retried. */
export class ResponseTooLargeError extends PermanentError {
  override readonly name = 'ResponseTooLargeError';
  readonly code = 'RESPONSE_TOO_LARGE';
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Whether a URL's host is this machine: localhost, 127.0.0.0/8 or [::1] (names are not resolved: only these). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const family = isIP(h);
  return family !== 0 && loopback.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why a repository URL may not be used, or undefined when it may: https: anywhere, http: only to loopback. */
export function insecureUrlReason(url: URL): string | undefined {
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `${url.protocol} is not https:`;
  if (!isLoopbackHost(url.hostname)) return `http: (no TLS) is allowed only to a loopback address such as 127.0.0.1 (a local simulator), not ${url.hostname}`;
  return undefined;
}

export class HttpsChannel implements Channel {
  readonly kind = 'https' as const;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;
  /** Batches the repository accepted for later answer (202), polled until complete. */
  private readonly awaiting = new Set<string>();

  constructor(private readonly config: HttpsRepositoryConfig) {
    this.base = new URL(config.url.endsWith('/') ? config.url : config.url + '/');
    const insecure = insecureUrlReason(this.base);
    if (insecure) throw new InsecureUrlError(`repository URL ${config.url}: ${insecure}`);
    const secure = this.base.protocol === 'https:';
    this.client = secure ? https : http;
    // ca replaces the system's roots (a repository's private CA is trusted for this repository only).
    const tls = { ...(config.ca ? { ca: config.ca } : {}), ...(config.cert ? { cert: config.cert } : {}), ...(config.key ? { key: config.key } : {}) };
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 8, ...tls }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  async send(batch: OutboundBatch): Promise<SendResult> {
    if (batch.format !== 'json') throw new PermanentError(`HTTPS batches carry JSON records; batch ${batch.batchId} is ${batch.format}`);
    const body = batchRequestBody(batch.batchId, batch.regime, batch.submitter, batch.lines);
    const answer = await this.request('POST', 'v1/submissions', body, { 'idempotency-key': batch.batchId });
    if (answer.status === 202) {
      this.awaiting.add(batch.batchId);
      return { kind: 'accepted' };
    }
    if (answer.status !== 200) throw this.errorFor(answer);
    const parsed = this.parse(answer.body);
    if (!parsed.complete) {
      this.awaiting.add(batch.batchId);
      return { kind: 'accepted' };
    }
    return { kind: 'outcomes', outcomes: parsed.outcomes };
  }

  /**
   * A file that is not a batch (a scheduled report): POST v1/reports/{name} with the file as the body. The name
   * makes a resend idempotent for the repository; any answer but 2xx is a failure (retried by the caller).
   */
  async sendFile(name: string, content: Buffer, contentType = 'text/csv'): Promise<void> {
    const answer = await this.request('POST', `v1/reports/${encodeURIComponent(name)}`, content, { 'content-type': contentType, 'idempotency-key': name });
    if (answer.status < 200 || answer.status > 299) throw this.errorFor(answer);
  }

  async poll(): Promise<PolledAnswer[]> {
    const out: PolledAnswer[] = [];
    for (const batchId of [...this.awaiting]) {
      let answer: HttpAnswer;
      try {
        answer = await this.request('GET', `v1/batches/${encodeURIComponent(batchId)}`, undefined, {});
      } catch (err) {
        // A failed poll is retried at the next one; the response timeout resends if it never comes. One over the
        // cap would stay over it: say so.
        if (err instanceof ResponseTooLargeError) log('warn', `https: polling batch ${batchId}: ${err.message}`);
        continue;
      }
      if (answer.status === 202) continue;
      if (answer.status === 404) {
        this.awaiting.delete(batchId); // unknown to the repository: the response timeout will resend
        continue;
      }
      if (answer.status !== 200) continue;
      let parsed: ReturnType<typeof outcomesOf>;
      try {
        parsed = this.parse(answer.body);
      } catch {
        continue;
      }
      if (!parsed.complete) continue;
      // Polled until the caller has committed the outcomes: a crash before then polls the batch again.
      out.push({ batchId, outcomes: parsed.outcomes, done: async () => void this.awaiting.delete(batchId) });
    }
    return out;
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private parse(text: string): ReturnType<typeof outcomesOf> {
    try {
      return outcomesOf(JSON.parse(text));
    } catch (err) {
      // A garbled answer may hide a processed batch: resending is safe (idempotent ids), so retry.
      throw new TransportError(`unreadable response: ${(err as Error).message}`);
    }
  }

  private errorFor(answer: HttpAnswer): Error {
    const text = `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
    // 5xx, 408 and 429 are the repository's trouble, worth retrying; other 4xx say the request itself is wrong.
    if (answer.status >= 500 || answer.status === 408 || answer.status === 429) return new TransportError(text);
    return new PermanentError(text);
  }

  private request(method: 'GET' | 'POST', path: string, body: Buffer | undefined, headers: Record<string, string>): Promise<HttpAnswer> {
    const url = new URL(path, this.base);
    const max = this.config.maxResponseBytes;
    const tooLarge = (size: string) => new ResponseTooLargeError(
      `${method} ${url.pathname}: the repository's answer (${size}) is over maxResponseBytes (${max} bytes): refused unread`);
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: HttpAnswer | Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const req = this.client.request(url, {
        method,
        agent: this.agent,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
          ...headers,
          ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}),
        },
      });
      const timer = setTimeout(() => req.destroy(new TransportError(`no answer within ${this.config.timeoutMs} ms`)), this.config.timeoutMs);
      req.on('response', (res) => {
        // A declared length over the cap is refused before a byte is read; an undeclared one as it crosses it.
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > max) {
          settle(tooLarge(`${declared} bytes declared`));
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= max) return void chunks.push(c);
          settle(tooLarge(`more than ${max} bytes`));
          req.destroy();
        });
        res.on('end', () => settle({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => settle(new TransportError(`response aborted: ${err.message}`)));
      });
      req.on('error', (err) => settle(err instanceof TransportError ? err : new TransportError(`${method} ${url.pathname}: ${err.message}`)));
      req.end(body);
    });
  }
}
