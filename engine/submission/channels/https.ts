/**
 * HTTPS API channel: one POST per batch (JSON), outcomes in the response or, when the repository answers
 * 202, by polling GET /v1/batches/{id}. node:http/https directly: one small request shape, keep-alive
 * agents, and full control of timeouts (a hung repository must surface as a TransportError, not a hang).
 */
import http from 'node:http';
import https from 'node:https';
import type { Channel, HttpsRepositoryConfig, OutboundBatch, PolledAnswer, SendResult } from '../types.js';
import { PermanentError, TransportError } from '../types.js';
import { outcomesOf } from '../wire.js';
import { batchRequestBody } from '../batch-body.js';

interface HttpAnswer {
  status: number;
  body: string;
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
    const secure = this.base.protocol === 'https:';
    this.client = secure ? https : http;
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 8 }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
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

  async poll(): Promise<PolledAnswer[]> {
    const out: PolledAnswer[] = [];
    for (const batchId of [...this.awaiting]) {
      let answer: HttpAnswer;
      try {
        answer = await this.request('GET', `v1/batches/${encodeURIComponent(batchId)}`, undefined, {});
      } catch {
        continue; // a failed poll is retried at the next one; the response timeout resends if it never comes
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
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = this.client.request(url, {
        method,
        agent: this.agent,
        headers: {
          ...headers,
          ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
          ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}),
        },
      });
      const timer = setTimeout(() => req.destroy(new TransportError(`no answer within ${this.config.timeoutMs} ms`)), this.config.timeoutMs);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(new TransportError(`response aborted: ${err.message}`));
        });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err instanceof TransportError ? err : new TransportError(`${method} ${url.pathname}: ${err.message}`));
      });
      req.end(body);
    });
  }
}
